"""``list-checks`` whose --exclude leaves nothing: a clear error, as ``run`` gives, not a traceback.

Listing once crashed with ``max() arg is an empty sequence`` (the text table's width of
no rows); JSON printed ``[]``, which reads as "no such checks exist".
"""

from __future__ import annotations

import pytest

from conformance import cli


@pytest.mark.parametrize("form", [[], ["--json"], ["--markdown"]])
def test_an_exclude_that_leaves_nothing_is_refused(capsys: pytest.CaptureFixture[str], form: list[str]) -> None:
    status = cli.main(["list-checks", "--only", "SURFACE", "--exclude", "SURFACE", *form])
    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert err.strip() == "armada-conformance: --exclude leaves no check of the selection to list"


def test_an_exclude_that_leaves_some_still_lists_them(capsys: pytest.CaptureFixture[str]) -> None:
    status = cli.main(["list-checks", "--only", "SURFACE,PARITY", "--exclude", "SURFACE"])
    out, _ = capsys.readouterr()
    assert status == 0
    assert out and all(line.startswith("PARITY-") for line in out.splitlines())
