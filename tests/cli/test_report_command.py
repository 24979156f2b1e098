"""`armada-conformance report`: a stored run is re-rendered, never overwritten, its verdict kept unless re-gated.

The README's usage (`report RUN/report.json`) used to judge the run again without its
baseline, print PASS and overwrite the failed run's files. Run in-process (the command's
own ``main``) over reports written by the suite's writer.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.report.writer import write_reports
from conformance.results import CheckResult, Figure, Outcome, RunReport, Severity


def _report(value: float, verdict: str = "", reasons: tuple[str, ...] = ()) -> RunReport:
    return RunReport(
        target={"name": "staging"},
        profile="armada-2026",
        suite_version="0.1.0",
        started="2026-05-01T12:00:00Z",
        finished="2026-05-01T12:01:00Z",
        machine={},
        results=[CheckResult("SURFACE-A", "SURFACE", "r", Severity.REQUIRED, Outcome.PASSED)],
        figures=[Figure("THROUGHPUT-Replay-GRPC", "replay", value, "events/s", "grpc", rounds=[value] * 3)],
        verdict=verdict,
        verdict_reasons=list(reasons),
    )


@pytest.fixture
def failed_run(tmp_path: Path) -> Path:
    """A run that failed on its baseline (its results alone pass)."""
    folder = write_reports(_report(500.0, "fail", ("BASELINE-THROUGHPUT-Replay-GRPC regressed",)), tmp_path / "r")
    return folder / "report.json"


def test_report_keeps_the_stored_verdict_and_never_overwrites_the_run(
    failed_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = {p.name: p.read_bytes() for p in failed_run.parent.iterdir()}
    assert main(["report", str(failed_run)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("FAIL: BASELINE-THROUGHPUT-Replay-GRPC regressed")
    assert {p.name: p.read_bytes() for p in failed_run.parent.iterdir()} == before  # the run untouched
    [rendered] = [p for p in failed_run.parent.parent.iterdir() if p.name.endswith("-report")]
    assert f"rendered into {rendered}" in out
    assert json.loads((rendered / "report.json").read_text())["verdict"] == "fail"


def test_report_refuses_an_out_folder_holding_a_run(failed_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(failed_run), "--out", str(failed_run.parent)]) == 2
    err = capsys.readouterr().err
    assert "never overwrites" in err and len(err.strip().splitlines()) == 1
    assert main(["report", str(failed_run), "--json", str(failed_run)]) == 2


def test_a_regated_report_records_what_it_was_gated_with(
    failed_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    baseline = write_reports(_report(510.0, "pass"), tmp_path / "b") / "report.json"
    out = tmp_path / "regated"
    assert main(["report", str(failed_run), "--baseline", str(baseline), "--out", str(out)]) == 0
    data = json.loads((out / "report.json").read_text())
    assert data["verdict"] == "pass"
    gated = data["run"]["gated"]
    assert gated["by"] == "report --regate" and gated["stored_verdict"] == "fail"
    assert gated["baseline"] == {"path": str(baseline), "tolerance": 0.2}
    assert "Re-gated" in (out / "summary.md").read_text()
    slower = write_reports(_report(1000.0, "pass"), tmp_path / "c") / "report.json"
    assert main(["report", str(failed_run), "--baseline", str(slower), "--out", str(tmp_path / "again")]) == 1
    [record] = json.loads((tmp_path / "again" / "report.json").read_text())["regressions"]
    assert record["baseline"] == str(slower) and record["tolerance"] == 0.2 and record["regressed"]
