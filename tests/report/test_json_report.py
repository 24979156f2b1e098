"""report.json: schema-valid output, faithful round trip, strict reading."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import jsonschema
import pytest
from report_samples import make_report

from conformance.report import ReportFormatError, load_report, load_schema, report_to_json, schema_errors
from conformance.report.json_report import write_json
from conformance.results import SCHEMA_VERSION, CheckResult, Figure, Outcome, RunReport, Severity


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = load_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_written_report_validates_against_the_schema(tmp_path: Path) -> None:
    report = make_report()
    report.results.append(CheckResult("SEMANTICS-X", "SEMANTICS", "r", Severity.REQUIRED, Outcome.ERROR, message="m"))
    path = write_json(report, tmp_path / "report.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(load_schema(), format_checker=jsonschema.FormatChecker()).validate(data)
    assert schema_errors(data) == []
    assert data["schema_version"] == SCHEMA_VERSION
    assert {r["outcome"] for r in data["results"]} == {str(o) for o in Outcome}


def test_schema_matches_the_data_model() -> None:
    """A field added to results.py without a schema change is caught here."""
    schema = load_schema()
    assert set(schema["required"]) == {f.name for f in dataclasses.fields(RunReport)}
    check = schema["$defs"]["check_result"]
    assert set(check["required"]) == set(check["properties"]) == {f.name for f in dataclasses.fields(CheckResult)}
    figure = schema["$defs"]["figure"]
    assert set(figure["required"]) == {f.name for f in dataclasses.fields(Figure)}
    assert set(check["properties"]["outcome"]["enum"]) == {str(o) for o in Outcome}
    assert set(check["properties"]["severity"]["enum"]) == {str(s) for s in Severity}
    assert schema["properties"]["schema_version"]["const"] == SCHEMA_VERSION


def test_round_trip_preserves_everything(tmp_path: Path) -> None:
    report = make_report()
    path = tmp_path / "report.json"
    path.write_text(report_to_json(report), encoding="utf-8")  # unredacted: compare exactly
    loaded = load_report(path)
    assert loaded == report
    assert loaded.results[0].outcome is Outcome.PASSED


def test_load_accepts_a_run_folder(tmp_path: Path) -> None:
    write_json(make_report(), tmp_path / "report.json")
    assert load_report(tmp_path).profile == "current"


def _stored(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_schema_violations_name_the_file_and_field(tmp_path: Path) -> None:
    data = json.loads(report_to_json(make_report()))
    data["results"][2]["outcome"] = "exploded"
    del data["figures"][0]["unit"]
    path = _stored(tmp_path, data)
    with pytest.raises(ReportFormatError) as err:
        load_report(path)
    text = str(err.value)
    assert str(path) in text and "$.results[2].outcome" in text and "$.figures[0]" in text


def test_invalid_json_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text('{\n  "schema_version": "1.0",\n  oops\n}', encoding="utf-8")
    with pytest.raises(ReportFormatError, match=r"report\.json:3:"):
        load_report(path)


def test_unknown_major_version_is_refused(tmp_path: Path) -> None:
    data = json.loads(report_to_json(make_report()))
    data["schema_version"] = "2.0"
    with pytest.raises(ReportFormatError, match=r"schema_version '2\.0'"):
        load_report(_stored(tmp_path, data))


def test_newer_minor_version_is_read_ignoring_unknown_fields(tmp_path: Path) -> None:
    data = json.loads(report_to_json(make_report()))
    data["schema_version"] = "1.7"
    data["new_top_level"] = 1
    data["results"][0]["new_field"] = "x"
    report = load_report(_stored(tmp_path, data))
    assert report.schema_version == SCHEMA_VERSION and len(report.results) == len(data["results"])


def test_timestamps_must_be_rfc3339() -> None:
    data = json.loads(report_to_json(make_report()))
    data["started"] = "yesterday"
    assert any(e.startswith("$.started") for e in schema_errors(data))


def test_non_finite_figure_is_refused_not_written_as_invalid_json() -> None:
    report = make_report(figures=[Figure("F", "f", float("nan"), "events/s")])
    with pytest.raises(ValueError, match="non-finite"):
        report_to_json(report)
