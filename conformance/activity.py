"""What the running check is doing right now: a phase, a count and, when it can be known, an ETA.

A long check (a THROUGHPUT measurement, the replay fill) says where it is with
``activity.phase("replay round", done=2, total=3)``; the console shows it beside the
running check on a terminal, and in the line it prints every 10 s without one. It is
process-wide state on purpose: the checks need no handle to the display, and a run
has one check running at a time. The runner clears it when a check starts.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Phase:
    text: str
    done: int | None
    total: int | None
    since: float  # when this phase (this text) began


_lock = threading.Lock()
_current: Phase | None = None


def phase(text: str, done: int | None = None, total: int | None = None) -> None:
    """Say what the check does now; the same ``text`` again with a new count keeps the phase's start."""
    global _current
    with _lock:
        since = _current.since if _current is not None and _current.text == text else time.monotonic()
        _current = Phase(text, done, total, since)


def clear() -> None:
    global _current
    with _lock:
        _current = None


def current() -> Phase | None:
    with _lock:
        return _current


def describe(now: float | None = None) -> str:
    """``replay round 2/3, ETA 8 s`` (count and ETA when known), or ``""``."""
    shown = current()
    if shown is None:
        return ""
    text = shown.text
    if shown.done is not None and shown.total:
        text += f" {shown.done:,}/{shown.total:,}"
        elapsed = (time.monotonic() if now is None else now) - shown.since
        if 0 < shown.done < shown.total and elapsed > 0:
            text += f", ETA {elapsed / shown.done * (shown.total - shown.done):.0f} s"
    return text


# ---- whose time it was ------------------------------------------------------------------
# A measurement one check makes for another (a fan-out check that first measures replay, a
# gate check run before the measurements) is that other check's time: the report's per-check
# times say what each check's verdict took, and still add up to the run.

_expected: set[str] = set()  # checks of the run not finished yet (set by the runner)
_during: list[tuple[str, float]] = []  # (owner, seconds) spent by the running check
_credits: dict[str, float] = {}  # owner -> seconds other checks spent for it


def expect(check_ids: Iterable[str]) -> None:
    """The run's checks: time may be moved only to one of them that has not run yet."""
    with _lock:
        _expected.clear()
        _expected.update(check_ids)
        _credits.clear()


def start_check() -> None:
    """A check starts: no phase yet, nothing spent for others yet."""
    clear()
    with _lock:
        _during.clear()


def spent_for(owner: str, seconds: float) -> None:
    """``seconds`` of the running check went to measuring what check ``owner`` reports."""
    with _lock:
        _during.append((owner, seconds))


def settle(check_id: str, wall: float) -> float:
    """The running check's time: its wall time, less what it spent for checks still to come, plus theirs for it."""
    with _lock:
        _expected.discard(check_id)
        lent = [(owner, s) for owner, s in _during if owner != check_id and owner in _expected]
        for owner, seconds in lent:
            _credits[owner] = _credits.get(owner, 0.0) + seconds
        _during.clear()
        return max(0.0, wall - sum(s for _, s in lent)) + _credits.pop(check_id, 0.0)
