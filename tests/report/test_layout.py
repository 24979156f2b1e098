"""report.html as Chromium lays it out, at a desktop and a narrow width.

What a reader tripped over before: throughput labels cut so p50, p95 and p99 read
the same, names broken mid-word (``Event/Watc h``), headers running into each
other, badges spilling out of their cells, and a page ~16,000 px tall. Each is
measured on the laid-out page (DevTools, see ``browser``) of a report as large as
a real run, and a screenshot at each width must decode at that width.
"""

from __future__ import annotations

from typing import Any

import pytest
from browser import CHROMIUM, Browser
from report_samples import full_run_report
from test_screenshot import read_png

from conformance.report import render_html
from conformance.results import RunReport

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (Debian: apt-get install -y chromium); the HTML layout check needs it",
)
WIDTHS = (1280, 720)
# With every category closed, "All checks" is a heading and one line per category (it was ~13,000 px
# open), and the page is a verdict, matrices, failures and figures (it was ~16,000 px in all).
MAX_CATALOGUE_HEIGHT_PX = 600
MAX_CLOSED_HEIGHT_PX = 8000

_MEASURE = r"""(() => {
  const de = document.documentElement, out = {};
  out.width = de.scrollWidth; out.viewport = window.innerWidth; out.height = de.scrollHeight;
  out.details = [...document.querySelectorAll('details.category')].map(d => [d.id, d.open]);
  const blocks = document.querySelectorAll('details.category');
  const heading = [...document.querySelectorAll('h2')].find(h => h.textContent === 'All checks');
  out.catalogueHeight = blocks[blocks.length - 1].getBoundingClientRect().bottom - heading.getBoundingClientRect().top;
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  out.openWidth = de.scrollWidth;
  const spill = [];
  for (const el of document.querySelectorAll('th, td, .badge, .chip, summary')) {
    if (el.closest('pre')) continue;
    if (el.scrollWidth > el.clientWidth + 1) spill.push(el.tagName + ' ' + el.textContent.slice(0, 60));
  }
  for (const b of document.querySelectorAll('td .badge')) {
    const r = b.getBoundingClientRect(), c = b.closest('td').getBoundingClientRect();
    if (r.left < c.left - 0.5 || r.right > c.right + 0.5 || r.top < c.top - 0.5 || r.bottom > c.bottom + 0.5)
      spill.push('badge outside its cell: ' + b.textContent);
  }
  out.spill = spill;
  const broken = [];
  const names = 'td.id, td.method, .fid, th.flabel, table.matrix th, table.catalogue th, .failure h3, summary';
  for (const el of document.querySelectorAll(names)) {
    const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      const word = /[^\s\/._-]+/g;
      for (let m = word.exec(n.data); m; m = word.exec(n.data)) {
        const range = document.createRange();
        range.setStart(n, m.index); range.setEnd(n, m.index + m[0].length);
        const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (lines.size > 1) broken.push(m[0]);
      }
    }
  }
  out.broken = broken;
  out.labels = [...document.querySelectorAll('th.flabel')].map(th =>
    [th.firstChild.textContent, th.scrollWidth <= th.clientWidth + 1]);
  const heads = [...document.querySelectorAll('table.catalogue thead th')];
  out.headsApart = heads.every((h, i) => i === 0 || h.parentNode !== heads[i - 1].parentNode ||
    heads[i - 1].getBoundingClientRect().right <= h.getBoundingClientRect().left + 1);
  return out;
})()"""


def _interrupted() -> RunReport:
    report = full_run_report()
    report.results = report.results[:40]
    report.interrupted = "SIGTERM"
    report.cleanup_problems = ["queue conformance-0101abcd-fz-0 could not be deleted: " + "x" * 200]
    report.unmatched_known_failures = ["SURFACE-Submit.CancelJobs-REST-TYPO", "AUTH-*-NOPE"]
    return report


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, int], dict[str, Any]]:
    """The measurements (and a screenshot) of a full-size and an interrupted report at each width."""
    folder = tmp_path_factory.mktemp("layout")
    found = {}
    with Browser(folder / "profile") as browser:
        for name, report in (("full", full_run_report()), ("interrupted", _interrupted())):
            page = folder / f"{name}.html"
            page.write_text(render_html(report), encoding="utf-8")
            for width in WIDTHS:
                browser.open(page.as_uri(), width, 900)
                shot = read_png(browser.screenshot(), max_rows=1)
                found[name, width] = {**browser.evaluate(_MEASURE), "shot_width": shot.width}
    return found


@pytest.fixture
def laid_out(pages: dict[tuple[str, int], dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {width: pages["full", width] for width in WIDTHS}


@pytest.mark.parametrize("width", WIDTHS)
def test_page_fits_the_width_and_rendered_at_it(laid_out: dict[int, dict[str, Any]], width: int) -> None:
    measured = laid_out[width]
    assert measured["shot_width"] == width
    assert measured["width"] <= measured["viewport"], "the page scrolls sideways"
    assert measured["openWidth"] <= measured["viewport"], "an opened category makes the page scroll sideways"


@pytest.mark.parametrize("width", WIDTHS)
def test_all_checks_grouped_by_category_and_collapsed(laid_out: dict[int, dict[str, Any]], width: int) -> None:
    details = laid_out[width]["details"]
    assert [d for d, _ in details] == [
        f"category-{c}" for c in ("SURFACE", "SEMANTICS", "PARITY", "SWAGGER", "AUTH", "THROUGHPUT")
    ]
    assert not any(is_open for _, is_open in details)
    assert laid_out[width]["catalogueHeight"] < MAX_CATALOGUE_HEIGHT_PX
    assert laid_out[width]["height"] < MAX_CLOSED_HEIGHT_PX


@pytest.mark.parametrize("width", WIDTHS)
def test_figure_labels_whole_and_distinguishable(laid_out: dict[int, dict[str, Any]], width: int) -> None:
    labels = laid_out[width]["labels"]
    names = [f.name for f in full_run_report().figures]
    assert sorted(text for text, _ in labels) == sorted(names)
    assert all(fits for _, fits in labels), [text for text, fits in labels if not fits]
    p_labels = [t for t, _ in labels if "latency p" in t]
    assert len(p_labels) == len(set(p_labels)) == 6


@pytest.mark.parametrize("width", WIDTHS)
def test_nothing_spills_and_no_word_breaks(laid_out: dict[int, dict[str, Any]], width: int) -> None:
    measured = laid_out[width]
    assert measured["spill"] == []
    assert measured["broken"] == []
    assert measured["headsApart"]


@pytest.mark.parametrize("width", WIDTHS)
def test_an_interrupted_run_with_notes_fits_too(pages: dict[tuple[str, int], dict[str, Any]], width: int) -> None:
    measured = pages["interrupted", width]
    assert measured["width"] <= measured["viewport"] and measured["openWidth"] <= measured["viewport"]
    assert measured["spill"] == [] and measured["broken"] == []
