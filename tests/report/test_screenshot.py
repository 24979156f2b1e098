"""report.html as a browser shows it: headless Chromium screenshot, checked pixel by pixel.

The PNG is decoded with a small stdlib reader (zlib + the five PNG row
filters), so the test needs no imaging library. It checks that the verdict
banner is at the top in its colour, and that the matrix cells' colours appear
below it, within the first screen.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import struct
import subprocess
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from report_samples import make_report

from conformance.report import render_html
from conformance.report.html_report import FAIL_COLOUR, OUTCOME_COLOURS, PASS_COLOUR
from conformance.results import RunReport

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (Debian: apt-get install -y chromium); the HTML render check needs it",
)
WIDTH, HEIGHT = 1280, 1600
DECODED_ROWS = 1100


@dataclass
class Image:
    width: int
    height: int
    channels: int
    rows: list[bytes]

    def pixel(self, x: int, y: int) -> tuple[int, int, int]:
        i = x * self.channels
        row = self.rows[y]
        return row[i], row[i + 1], row[i + 2]


def _unfilter(kind: int, line: bytearray, prev: bytearray, bpp: int) -> bytearray:
    """Undo one PNG row filter (None, Sub, Up, Average, Paeth)."""
    if kind == 1:
        for i in range(bpp, len(line)):
            line[i] = (line[i] + line[i - bpp]) & 255
    elif kind == 2:
        line = bytearray((a + b) & 255 for a, b in zip(line, prev, strict=True))
    elif kind == 3:
        for i in range(len(line)):
            left = line[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
    elif kind == 4:
        for i in range(len(line)):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    return line


def read_png(data: bytes, max_rows: int | None = None) -> Image:
    """8-bit RGB/RGBA, non-interlaced PNG (what Chromium writes) into rows of bytes.

    ``max_rows`` stops after that many rows: pure-Python unfiltering costs time
    and the checks only look at the first screen.
    """
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat.append(chunk)
        elif kind == b"IEND":
            break
    assert header is not None, "no IHDR"
    width, height, depth, colour_type, _, _, interlace = header
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, header
    bpp = 3 if colour_type == 2 else 4
    raw, stride = zlib.decompress(b"".join(idat)), width * bpp
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(min(height, max_rows or height)):
        start = y * (stride + 1)
        prev = _unfilter(raw[start], bytearray(raw[start + 1 : start + 1 + stride]), prev, bpp)
        rows.append(bytes(prev))
    return Image(width, len(rows), bpp, rows)


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _near(a: tuple[int, int, int], b: tuple[int, int, int], tolerance: int = 6) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


def _live_group_members(pgid: int) -> list[int]:
    """Processes of group ``pgid`` that are still running (zombies excluded), from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def _wait_for_group_exit(pgid: int, timeout: float) -> None:
    """Let Chromium's helpers shut down by themselves before anything is killed."""
    deadline = time.monotonic() + timeout
    while _live_group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)


def screenshot(html: Path, out: Path, profile: Path) -> Path:
    """Run headless Chromium in its own process group and make sure all of it is gone after.

    stderr goes to a file, not a pipe: Chromium's helper processes inherit it and
    would keep a pipe open (and the test waiting) after the browser has exited.
    """
    command = [
        CHROMIUM or "chromium",
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--force-color-profile=srgb",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        f"--screenshot={out}",
        f"--window-size={WIDTH},{HEIGHT}",
        html.resolve().as_uri(),
    ]
    log = out.with_suffix(".log")
    with log.open("wb") as stderr:
        proc = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True
        )
        try:
            proc.wait(timeout=60)
            _wait_for_group_exit(proc.pid, timeout=5)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # stragglers (zygote, renderer) share the group
            proc.wait()
    detail = log.read_text(errors="replace")[-2000:]
    assert out.exists(), f"chromium wrote no screenshot (exit {proc.returncode}): {detail}"
    return out


def _shoot(report: RunReport, tmp_path: Path, name: str) -> Image:
    html = tmp_path / f"{name}.html"
    html.write_text(render_html(report), encoding="utf-8")
    png = screenshot(html, tmp_path / f"{name}.png", tmp_path / f"{name}-profile")
    return read_png(png.read_bytes(), max_rows=DECODED_ROWS)


def wide_runs(image: Image, colour: str, min_px: int = 140) -> list[tuple[int, int]]:
    """(x, y) where a horizontal run of at least ``min_px`` pixels of exactly ``colour`` starts.

    Solid CSS backgrounds come out exact under --force-color-profile=srgb, so a
    C-speed ``bytes.find`` does the scanning. Runs this wide are matrix cells or
    banners, not text or thin borders.
    """
    pixel = bytes(_rgb(colour)) + (b"\xff" if image.channels == 4 else b"")
    pattern, found = pixel * min_px, []
    for y, row in enumerate(image.rows):
        i = row.find(pattern)
        while i != -1:
            if i % image.channels == 0:
                found.append((i // image.channels, y))
                i = row.find(pattern, i + len(pattern))
            else:
                i = row.find(pattern, i + 1)
    return found


def test_screenshot_shows_fail_banner_and_matrix(tmp_path: Path) -> None:
    image = _shoot(make_report(), tmp_path, "fail")
    assert (image.width, image.height) == (WIDTH, DECODED_ROWS)

    # Not blank: many distinct colours, and far from all white.
    sample = {image.pixel(x, y) for y in range(0, image.height, 7) for x in range(0, WIDTH, 7)}
    assert len(sample) > 40

    # The banner: the top-left block is the FAIL red (white letters inside it).
    banner = [image.pixel(x, y) for y in range(5, 100, 3) for x in range(5, 400, 3)]
    red = sum(_near(p, _rgb(FAIL_COLOUR)) for p in banner)
    assert red / len(banner) > 0.6, f"banner is not FAIL red ({red}/{len(banner)})"
    assert not any(_near(p, _rgb(PASS_COLOUR)) for p in banner)
    banner_bottom = max(y for y in range(image.height) if _near(image.pixel(200, y), _rgb(FAIL_COLOUR)) and y < 300)

    # The method x transport matrix: its grpc column stacks cells of several outcomes at one x,
    # which the outcome chips (all on one line) cannot do.
    runs = {
        o: wide_runs(image, OUTCOME_COLOURS[o])
        for o in ("passed", "failed", "warning", "expected failure", "not offered")
    }
    xs = {o: {x for x, _ in found} for o, found in runs.items()}
    columns = xs["passed"] & xs["expected failure"] & xs["not offered"]
    assert columns, f"no matrix column found: {xs}"
    column = min(columns)
    for outcome in ("passed", "expected failure", "not offered"):
        ys = [y for x, y in runs[outcome] if x == column]
        assert banner_bottom < min(ys) and max(ys) < DECODED_ROWS, outcome
    # CancelJobs: passed over gRPC, failed over REST, side by side on one row.
    passed_rows = {y: x for x, y in runs["passed"]}
    assert any(y in passed_rows and passed_rows[y] < x for x, y in runs["failed"])
    # SubmitJobs over "both": only a recommended check failed -> the warning colour, not red.
    assert runs["warning"], "no recommended-failure cell"
