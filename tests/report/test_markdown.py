"""summary.md: verdict, counts, failure rows, caps, and no injection into PR comments."""

from __future__ import annotations

from report_samples import check, make_report

from conformance.report import compare_to_baseline, render_summary
from conformance.report.markdown import md_code, md_escape
from conformance.results import Outcome, RunReport


def _table_rows(text: str, header: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index(header) + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def test_failing_run_has_fail_verdict_counts_and_failure_rows() -> None:
    text = render_summary(make_report())
    assert text.startswith("## ❌ FAIL")
    assert "**2 required checks failed**" in text
    counts = _table_rows(
        text, "| passed | failed | error | expected failure | not offered | not configured | skipped | total |"
    )
    assert counts == ["| 10 | 3 | 0 | 1 | 1 | 2 | 1 | 18 |"]
    rows = _table_rows(text, "| Check | Category | Where | Reason |")
    assert len(rows) == 2
    assert rows[0].startswith("| `SURFACE-CancelJobs-REST` | SURFACE | rest CancelJobs | expected HTTP 200")
    assert "second line" not in rows[0]  # one-line reasons only
    assert "`PARITY-SubmitJobs`" in text and "never fail the gate" in text


def test_passing_run_has_pass_verdict_and_no_failure_table(passing_report: RunReport) -> None:
    text = render_summary(passing_report)
    assert text.startswith("## ✅ PASS")
    assert "Failed required checks" not in text


def test_failure_list_is_capped_with_and_n_more() -> None:
    results = [check(f"SURFACE-M{i}", Outcome.FAILED, message=f"broken {i}") for i in range(40)]
    text = render_summary(make_report(results=results), max_failures=15)
    assert len(_table_rows(text, "| Check | Category | Where | Reason |")) == 15
    assert "…and 25 more" in text
    assert len(text) < 5000


def test_top_figures_with_lower_bound_marker() -> None:
    text = render_summary(make_report())
    assert "| Event replay \\(gRPC\\) | ≥ 48\u202f000 events/s | grpc |" in text
    assert "| Submit latency p99 | 42 ms | grpc |" in text


def test_hostile_messages_cannot_inject_markdown_or_html() -> None:
    message = "x | y ![img](https://evil.example/t.png) <img src=x> [link](http://e) `code`\nline2"
    text = render_summary(make_report(results=[check("A-1", Outcome.FAILED, message=message)]))
    row = _table_rows(text, "| Check | Category | Where | Reason |")[0]
    assert "<img" not in text and "![img](" not in text and "[link](" not in text
    assert row.count(" | ") == 3  # the pipe in the message did not add a column
    assert "line2" not in row


def test_baseline_section_lists_changes() -> None:
    baseline = make_report()
    baseline.results[0].outcome = Outcome.FAILED  # fixed since
    current = make_report()
    current.results[2].outcome = Outcome.FAILED  # passed in the baseline
    current.figures[1].value = 5_000.0  # REST replay dropped 60 %
    text = render_summary(current, compare_to_baseline(current, baseline))
    # The newly failing check counts once, as a failure; the figure is the regression.
    assert "**3 required checks failed; 1 regression against the baseline**" in text
    assert "- New failures: `SURFACE-CancelJobs-GRPC`" in text
    assert "- Fixed: `SURFACE-SubmitJobs-GRPC`" in text
    assert "Throughput regression: `THROUGHPUT-REPLAY-REST` dropped from 12500 to 5000" in text


def test_md_helpers() -> None:
    assert md_escape("a_b*c") == "a\\_b\\*c"
    assert md_code("a`b") == "``a`b``"


def test_summary_says_interrupted_and_lists_cleanup_and_unmatched_entries() -> None:
    text = render_summary(
        make_report(
            interrupted="SIGTERM", cleanup_problems=["queue q1 not deleted"], unmatched_known_failures=["AUTH-TYPO"]
        )
    )
    assert text.startswith("## ⚠️ INTERRUPTED — Armada conformance")
    assert "stopped by SIGTERM" in text and "queue q1 not deleted" in text and "`AUTH-TYPO`" in text
