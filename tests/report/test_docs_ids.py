"""Every check or figure ID the documentation names exists, so a copied ID matches.

A known-failures entry copied from the docs with an ID that does not exist is
silently unmatched; so the docs may only name IDs of the catalogue (patterns
with ``*`` must match at least one), and figure IDs only as a THROUGHPUT check's
ID with a suffix.
"""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

import pytest

from conformance.checks import CATEGORIES, catalogue

ROOT = Path(__file__).resolve().parents[2]
DOCS = ("docs/report-schema.md", "docs/ci.md", "README.md")
_ID = re.compile(r"(?<![\w.-])((?:" + "|".join(CATEGORIES) + r")-[\w.*-]*[\w*])")


def named_ids(text: str) -> set[str]:
    return set(_ID.findall(text))


def unknown_ids(text: str) -> list[str]:
    ids = {c.id for c in catalogue()}
    throughput = {c.id for c in catalogue() if c.category == "THROUGHPUT"}
    bad = []
    for name in sorted(named_ids(text)):
        if "*" in name:
            ok = bool(fnmatch.filter(ids, name))
        else:
            ok = name in ids or any(name.startswith(t + "-") for t in throughput)
        if not ok:
            bad.append(name)
    return bad


@pytest.mark.parametrize("doc", DOCS)
def test_documented_ids_exist(doc: str) -> None:
    path = ROOT / doc
    if not path.exists():
        pytest.skip(f"{doc} not written yet")
    assert unknown_ids(path.read_text(encoding="utf-8")) == []


def test_the_check_finds_ids_that_do_not_exist() -> None:
    text = "`SURFACE-CancelJobs-REST`, `THROUGHPUT-REPLAY-GRPC`, `AUTH-NOPE-*`, `THROUGHPUT-Live-GRPC-p99`"
    assert unknown_ids(text) == ["AUTH-NOPE-*", "SURFACE-CancelJobs-REST", "THROUGHPUT-REPLAY-GRPC"]
