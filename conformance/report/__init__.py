"""Compliance reports and the CI gate for a conformance run.

One module per format or idea:

* ``redact``      - secrets out of everything before it is written
* ``json_report`` - report.json writer/reader, validated against ``schema.json``
* ``junit``       - junit.xml for CI test tabs
* ``markdown``    - summary.md for pull-request comments
* ``html_report`` - report.html, one self-contained page (``html_catalogue``: all checks, ``bars``: figures)
* ``gate``        - known failures, baseline comparison, exit code
* ``writer``      - all four files into ``<UTC time>-<target>/``
"""

from .gate import (
    BaselineComparison,
    CheckChange,
    FigureChange,
    KnownFailure,
    KnownFailuresApplied,
    KnownFailuresError,
    apply_known_failures,
    compare_to_baseline,
    exit_code,
    gate_reasons,
    load_known_failures,
    parse_known_failures,
)
from .html_report import render_html
from .json_report import ReportFormatError, load_report, load_schema, report_to_json, schema_errors
from .junit import render_junit
from .markdown import render_summary
from .redact import REDACTED, redact, redact_report, redact_text
from .writer import REPORT_FILES, write_reports

__all__ = [
    "REDACTED",
    "REPORT_FILES",
    "BaselineComparison",
    "CheckChange",
    "FigureChange",
    "KnownFailure",
    "KnownFailuresApplied",
    "KnownFailuresError",
    "ReportFormatError",
    "apply_known_failures",
    "compare_to_baseline",
    "exit_code",
    "gate_reasons",
    "load_known_failures",
    "load_report",
    "load_schema",
    "parse_known_failures",
    "redact",
    "redact_report",
    "redact_text",
    "render_html",
    "render_junit",
    "render_summary",
    "report_to_json",
    "schema_errors",
    "write_reports",
]
