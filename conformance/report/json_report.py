"""``report.json``: the stored, versioned form of a run.

It is what baselines are compared against and what ``armada-conformance report``
re-renders, so reading is strict: a file that does not match the shipped JSON
Schema (``schema.json``, documented in docs/report-schema.md) is rejected with
the file name and the offending JSON path, rather than producing a report that
silently misses checks.
"""

from __future__ import annotations

import dataclasses
import json
import math
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from conformance.results import SCHEMA_VERSION, CheckResult, Figure, RunReport

from .redact import redact_report


class ReportFormatError(ValueError):
    """A report.json that cannot be read: not JSON, wrong schema version, or schema violation."""


@cache
def load_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) shipped next to this module."""
    text = resources.files(__package__).joinpath("schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def schema_errors(data: Any) -> list[str]:
    """Schema violations in ``data`` as ``path: message`` lines (empty when valid)."""
    import jsonschema  # installed with schemathesis; imported late so rendering never needs it

    validator_cls = jsonschema.validators.validator_for(load_schema())
    validator = validator_cls(load_schema(), format_checker=validator_cls.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    return [f"{e.json_path}: {e.message}" for e in errors]


def report_to_dict(report: RunReport) -> dict[str, Any]:
    """Plain JSON data for ``report`` in schema field order; enums become their string values."""
    data = report.to_dict()
    for result in data["results"]:
        result["severity"] = str(result["severity"])
        result["outcome"] = str(result["outcome"])
    for figure in report.figures:
        if not math.isfinite(figure.value):
            raise ValueError(f"figure {figure.id!r} has non-finite value {figure.value!r}; JSON cannot hold it")
    order = [
        "schema_version",
        "target",
        "profile",
        "suite_version",
        "server_version",
        "started",
        "finished",
        "machine",
        "results",
        "figures",
        "verdict",
        "interrupted",
        "cleanup_problems",
        "unmatched_known_failures",
        "verdict_reasons",
        "run",
        "regressions",
    ]
    return {key: data[key] for key in order}


def report_to_json(report: RunReport) -> str:
    """Serialise without redacting: callers that write files use :func:`write_json`."""
    return json.dumps(report_to_dict(report), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_json(report: RunReport, path: Path) -> Path:
    """Write ``report`` (redacted first) to ``path``."""
    path.write_text(report_to_json(redact_report(report)), encoding="utf-8")
    return path


def _major(version: str) -> str:
    return version.split(".", 1)[0]


def _known_fields(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """Drop fields a newer minor schema version added, which this reader does not know."""
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def report_from_dict(data: Any, source: str = "<data>") -> RunReport:
    """Validate and convert parsed JSON; ``source`` names the file in error messages."""
    if not isinstance(data, dict):
        raise ReportFormatError(f"{source}: a report must be a JSON object, got {type(data).__name__}")
    version = str(data.get("schema_version", ""))
    if _major(version) != _major(SCHEMA_VERSION):
        raise ReportFormatError(
            f"{source}: schema_version {version!r} is not readable by this suite (reads {_major(SCHEMA_VERSION)}.x)"
        )
    if version == SCHEMA_VERSION:
        errors = schema_errors(data)
        if errors:
            shown = "\n  ".join(errors[:10])
            more = f"\n  ... and {len(errors) - 10} more" if len(errors) > 10 else ""
            raise ReportFormatError(f"{source}: does not match the report schema:\n  {shown}{more}")
    try:
        data = _known_fields(RunReport, data)
        data["results"] = [_known_fields(CheckResult, r) for r in data.get("results", [])]
        data["figures"] = [_known_fields(Figure, f) for f in data.get("figures", [])]
        data["schema_version"] = SCHEMA_VERSION
        return RunReport.from_dict(data)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise ReportFormatError(f"{source}: {exc}") from exc


def load_report(path: Path | str) -> RunReport:
    """Read a stored report.json (or a report folder containing one)."""
    path = Path(path)
    if path.is_dir():
        path = path / "report.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ReportFormatError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from exc
    return report_from_dict(data, source=str(path))
