"""Write every report format for a run into its own folder.

Folder name: ``<UTC start time>-<target slug>`` (``20240501T120000Z-armada-example-com``),
so runs sort by time and never overwrite each other. The report is redacted
once, here, before any format sees it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from conformance.results import RunReport

from .common import target_slug, utc_stamp
from .gate import BaselineComparison
from .html_report import render_html
from .json_report import report_to_json
from .junit import render_junit
from .markdown import render_summary
from .redact import redact_report

REPORT_FILES = ("report.json", "junit.xml", "summary.md", "report.html")


def report_folder_name(report: RunReport) -> str:
    return f"{utc_stamp(report.started)}-{target_slug(report.target)}"


def fresh_folder(parent: Path, name: str) -> Path:
    """``parent/name``, or ``name-2``, ``name-3``... if a run already used it."""
    candidate, n = parent / name, 1
    while True:
        try:
            candidate.mkdir(parents=True)
            return candidate
        except FileExistsError:
            n += 1
            candidate = parent / f"{name}-{n}"


def render_into(
    report: RunReport, folder: Path, comparison: BaselineComparison | None = None, known_secrets: Iterable[str] = ()
) -> Path:
    """Write the four files into an existing ``folder``; returns it."""
    safe = redact_report(report, known_secrets)
    for name in REPORT_FILES:
        (folder / name).write_text(render_format(name, safe, comparison), encoding="utf-8")
    return folder


def render_format(name: str, safe: RunReport, comparison: BaselineComparison | None = None) -> str:
    """One format (named by its file name in the run's folder) of an already redacted report."""
    renderers = {
        "report.json": lambda: report_to_json(safe),
        "junit.xml": lambda: render_junit(safe),
        "summary.md": lambda: render_summary(safe, comparison),
        "report.html": lambda: render_html(safe, comparison),
    }
    return renderers[name]()


def write_outputs(
    report: RunReport,
    outputs: Mapping[str, str | Path],
    comparison: BaselineComparison | None = None,
    known_secrets: Iterable[str] = (),
) -> list[Path]:
    """Write formats to fixed paths (``{"junit.xml": "out/junit.xml"}``), parents created; returns the paths.

    For CI that uploads ``out/junit.xml`` rather than globbing ``reports/*/junit.xml``.
    """
    safe = redact_report(report, known_secrets)
    written = []
    for name, path in outputs.items():
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render_format(name, safe, comparison), encoding="utf-8")
        written.append(target)
    return written


def write_reports(
    report: RunReport, report_dir: Path, comparison: BaselineComparison | None = None, known_secrets: Iterable[str] = ()
) -> Path:
    """Write report.json, junit.xml, summary.md and report.html into a new run folder.

    ``known_secrets`` are literal values (configured passwords, tokens) to scrub
    wherever they appear, on top of the key and pattern rules of ``redact``.
    Returns the folder.
    """
    folder = fresh_folder(Path(report_dir), report_folder_name(report))
    return render_into(report, folder, comparison, known_secrets)
