"""write_reports, load_report, render_into (the re-render of `report`): folder names, four files, no secrets."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from report_samples import SECRETS, make_report

from conformance.report import REPORT_FILES, compare_to_baseline, load_report, redact_report, write_reports
from conformance.report.common import target_slug, utc_stamp
from conformance.report.writer import render_into


def test_write_reports_creates_timestamped_folder_with_four_files(tmp_path: Path) -> None:
    folder = write_reports(make_report(), tmp_path / "reports")
    assert folder == tmp_path / "reports" / "20260501T100000Z-armada-staging"  # 12:00+02:00 in UTC
    assert sorted(p.name for p in folder.iterdir()) == sorted(REPORT_FILES)
    assert json.loads((folder / "report.json").read_text())["profile"] == "current"
    assert ET.parse(folder / "junit.xml").getroot().get("tests") == "18"
    assert (folder / "summary.md").read_text().startswith("## ❌ FAIL")
    assert '<div class="big">FAIL</div>' in (folder / "report.html").read_text()


def test_a_second_run_with_the_same_name_does_not_overwrite(tmp_path: Path) -> None:
    first = write_reports(make_report(), tmp_path)
    second = write_reports(make_report(), tmp_path)
    assert second == first.with_name(first.name + "-2")
    assert (first / "report.json").exists() and (second / "report.json").exists()


def test_no_secret_reaches_any_file(tmp_path: Path) -> None:
    report = make_report()
    report.results[5].message = "server echoed extra-known-secret back"  # under no sensitive key
    folder = write_reports(report, tmp_path, known_secrets=["extra-known-secret"])
    for name in REPORT_FILES:
        text = (folder / name).read_text(encoding="utf-8")
        for secret in (*SECRETS, "extra-known-secret"):
            assert secret not in text, (name, secret)


def test_load_report_returns_the_redacted_report(tmp_path: Path) -> None:
    report = make_report()
    folder = write_reports(report, tmp_path)
    assert load_report(folder / "report.json") == redact_report(report)


def test_a_stored_report_re_renders_to_the_same_files(tmp_path: Path) -> None:
    folder = write_reports(make_report(), tmp_path / "run")
    (tmp_path / "again").mkdir()
    out = render_into(load_report(folder / "report.json"), tmp_path / "again")
    assert out == tmp_path / "again"
    for name in REPORT_FILES:
        assert (out / name).read_text() == (folder / name).read_text(), name


def test_a_re_render_with_a_comparison(tmp_path: Path) -> None:
    baseline = make_report()
    current = make_report()
    current.figures[1].value = 1_000.0
    stored = write_reports(current, tmp_path / "run") / "report.json"
    (tmp_path / "cmp").mkdir()
    out = render_into(load_report(stored), tmp_path / "cmp", compare_to_baseline(load_report(stored), baseline))
    assert "Throughput regression: `THROUGHPUT-REPLAY-REST`" in (out / "summary.md").read_text()


def test_slug_never_contains_credentials_and_stamp_is_utc() -> None:
    assert target_slug({"rest": "https://admin:pw@Armada.Example.com:8443/api/"}) == "armada-example-com-8443-api"
    assert target_slug({"name": "  ", "grpc": "grpc.local:50051"}) == "grpc-local-50051"
    assert target_slug({}) == "target"
    assert target_slug({"name": "../../etc/passwd"}) == "etc-passwd"
    assert utc_stamp("2026-05-01T23:30:00-01:00") == "20260502T003000Z"
    assert utc_stamp("2026-05-01T10:00:00Z") == "20260501T100000Z"
