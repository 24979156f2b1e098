"""report.html: verdict, matrices, failures, catalogue, charts; escaped and self-contained."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from report_samples import HOSTILE, check, make_report

from conformance.report import compare_to_baseline, redact_report, render_html
from conformance.report.html_catalogue import requirement_template
from conformance.report.html_parts import name_html
from conformance.results import Figure, Outcome, RunReport


class Page(HTMLParser):
    """Collects tags, attributes and the cells of every table, by table id."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.tables: dict[str, list[list[tuple[str, str]]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._cell_class = ""
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.tags.append((tag, values))
        if tag == "table" and values.get("id"):
            self._table = values["id"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell, self._cell_class = [], values.get("class", "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._table and self._cell is not None:
            self.tables[self._table][-1].append((self._cell_class, "".join(self._cell).strip()))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def grid(self, table_id: str) -> dict[tuple[str, str], str]:
        """(row header, column header) -> cell class."""
        rows = self.tables[table_id]
        columns = [text for _, text in rows[0][1:]]
        return {(row[0][1], column): cls for row in rows[1:] for column, (cls, _) in zip(columns, row[1:], strict=True)}


def test_verdict_banner_fail_and_pass(passing_report: RunReport) -> None:
    failing = render_html(make_report())
    assert '<header class="verdict fail" id="verdict"><div class="big">FAIL</div>' in failing
    assert "SURFACE-CancelJobs-REST failed (required)" in failing
    passing = render_html(passing_report)
    assert '<header class="verdict pass" id="verdict"><div class="big">PASS</div>' in passing
    assert "Every required check passed." in passing


def test_method_by_transport_matrix() -> None:
    grid = Page(render_html(make_report())).grid("matrix-method")
    assert grid[("CancelJobs", "grpc")] == "cell o-passed"
    assert grid[("CancelJobs", "rest")] == "cell o-failed"
    assert grid[("GetQueue", "grpc")] == "cell o-not-offered"
    assert grid[("DeleteQueue", "grpc")] == "cell o-skipped"
    assert grid[("GetJobSetEvents", "grpc")] == "cell o-expected-failure"
    assert grid[("SubmitJobs", "both")] == "cell o-warning"  # only a recommended check failed
    assert grid[("DeleteQueue", "rest")] == "cell o-none muted"
    assert {m for m, _ in grid} == {"CancelJobs", "DeleteQueue", "GetJobSetEvents", "GetQueue", "SubmitJobs"}


def test_scheme_by_transport_matrix() -> None:
    grid = Page(render_html(make_report())).grid("matrix-scheme")
    assert grid[("basic", "rest")] == "cell o-failed"
    assert grid[("basic", "grpc")] == "cell o-passed"
    assert grid[("kerberos", "grpc")] == "cell o-not-configured"
    assert grid[("oidc", "rest")] == "cell o-not-configured"
    assert grid[("anonymous", "rest")] == "cell o-passed"


def test_failures_show_escaped_evidence_and_hostile_text_never_becomes_markup() -> None:
    report = make_report()
    report.target["name"] = HOSTILE
    report.machine["hostname"] = HOSTILE
    report.results.append(
        check(
            f"X-{HOSTILE}",
            Outcome.FAILED,
            category=HOSTILE,
            message=HOSTILE,
            transport="grpc",
            method=HOSTILE,
            scheme=HOSTILE,
            evidence={HOSTILE: HOSTILE},
        )
    )
    report.figures.append(Figure(f"F-{HOSTILE}", HOSTILE, 1.0, HOSTILE))
    text = render_html(redact_report(report))
    assert "&lt;script&gt;alert(" in text
    assert "<script" not in text.lower()
    tags = {tag for tag, _ in Page(text).tags}
    assert not tags & {"script", "img", "iframe", "object", "embed", "link"}
    assert all(not name.startswith("on") for _, attrs in Page(text).tags for name in attrs)


def test_page_is_self_contained() -> None:
    text = render_html(make_report())
    page = Page(text)
    for tag, attrs in page.tags:
        for name, value in attrs.items():
            if name in ("href", "src", "xlink:href", "action", "srcset"):
                assert value.startswith("#"), (tag, name, value)
    assert not re.search(r"url\((?!#)", text) and "@import" not in text
    assert re.search(r'<meta http-equiv="Content-Security-Policy" content="default-src \'none\'', text)
    assert text.count("<style>") == 1 and "<script" not in text


def test_catalogue_lists_every_check_in_closed_category_blocks() -> None:
    report = make_report()
    text = render_html(report)
    for result in report.results:
        assert f'<tr id="check-{result.id}"><td class="id">' in text
    blocks = re.findall(r'<details class="category" id="category-([A-Z]+)"><summary><b>', text)
    assert blocks == ["SURFACE", "SEMANTICS", "PARITY", "SWAGGER", "AUTH", "THROUGHPUT"]
    assert "<details open" not in text
    # Matrix cells link to checks that exist on the page.
    anchors = {attrs["id"] for _, attrs in Page(text).tags if "id" in attrs}
    links = {attrs["href"][1:] for tag, attrs in Page(text).tags if tag == "a"}
    assert links and links <= anchors


def test_a_shared_requirement_is_written_once_per_category() -> None:
    results = [
        check(f"AUTH-BASIC-BADPW-{t.upper()}", Outcome.PASSED, category="AUTH", transport=t, scheme=s)
        for s in ("basic", "oidc")
        for t in ("grpc", "rest")
    ]
    for r in results:
        r.requirement = f"a wrong {r.scheme} password is refused over {r.transport} (grpc-gateway maps it to 401)"
    text = render_html(make_report(results=results))
    assert text.count("is refused over") == 1
    assert (
        'a wrong <span class="ph">scheme</span> password is refused over <span class="ph">transport</span> '
        '(grpc-gateway maps it to 401) <span class="muted">(4 checks)</span>'
    ) in text
    table = Page(text).tables["catalogue-AUTH"]
    assert [cell for _, cell in table[0]] == ["ID", "Transport", "Scheme", "Outcome", "Time", "Message"]


def test_requirement_template_keeps_what_is_not_the_checks_own() -> None:
    result = check(
        "SWAGGER-Documents-CancelJobs", Outcome.PASSED, category="SWAGGER", transport="rest", method="Submit/CancelJobs"
    )
    result.requirement = (
        "the swagger documents Submit/CancelJobs as its rule says: operationId CancelJobs, not CancelJobSet"
    )
    assert requirement_template(result) == (
        "the swagger documents \x00method\x00 as its rule says: operationId \x00method\x00, not CancelJobSet"
    )


def test_names_wrap_only_after_separators() -> None:
    assert name_html("SURFACE-Event.Watch-GRPC") == "SURFACE-<wbr>Event.<wbr>Watch-<wbr>GRPC"
    assert name_html("Event/Watch<x>") == "Event/<wbr>Watch&lt;x&gt;"


def test_figures_one_table_per_unit_with_whole_escaped_labels() -> None:
    text = render_html(make_report())
    assert re.findall(r'<table class="figures" id="figures-\d"><caption>([^<]+)</caption>', text) == [
        "events/s (higher is better)",
        "jobs/s (higher is better)",
        "ms (lower is better)",
    ]
    assert "Job submission &lt;fast&gt;</th>" not in text and "Job submission &lt;fast&gt;<div" in text
    assert "≥ 48\u202f000 events/s" in text  # client-bound figure marked as a lower bound
    assert '<span class="bar bound" style="width:100.0%">' in text
    assert "…" not in "".join(re.findall(r'<th class="flabel">([^<]*)', text))


def test_no_figures_no_checks_still_renders() -> None:
    text = render_html(make_report(results=[], figures=[]))
    assert "No figures were measured" in text and "The run produced no check results" in text
    assert '<div class="big">FAIL</div>' in text


def test_baseline_comparison_section_and_marks(passing_report: RunReport) -> None:
    current = make_report(results=passing_report.results)
    current.figures[1].value = 6_000.0
    text = render_html(current, compare_to_baseline(current, passing_report))
    assert "Compared with the baseline" in text
    assert "THROUGHPUT-REPLAY-REST: dropped from 12500 to 6000 events/s (52% worse)" in text
    assert '<i class="mark" style="left:' in text  # baseline marks on the bars
    assert '<div class="big">FAIL</div>' in text


def test_run_notes_interruption_cleanup_and_unmatched_known_failures() -> None:
    report = make_report(
        interrupted="SIGINT", cleanup_problems=["queue conformance-1 <kept>"], unmatched_known_failures=["AUTH-TYPO-*"]
    )
    text = render_html(report)
    assert '<div class="big">INTERRUPTED</div>' in text
    assert "stopped by SIGINT" in text and "queue conformance-1 &lt;kept&gt;" in text
    assert "<code>AUTH-TYPO-*</code>" in text
    assert 'id="run-notes"' not in render_html(make_report())
