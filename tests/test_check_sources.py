"""Every check names where its requirement comes from: the contract, or a file of Armada's code that exists."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conformance.checks import catalogue

MIRROR = Path("/work/.mirror/armadaproject+armada/repo")  # Armada's repository, where this machine has it
ENDS = ("c3d5889", "207cc9e")  # v0.3.x (2023-08) and the newest release judged (2026-08)


def test_every_check_has_a_source_in_the_catalogue() -> None:
    for check in catalogue():
        parts = check.source.split()
        assert parts, check.id
        assert all(p == "contract" or ("/" in p and "." in p.rsplit("/", 1)[1]) for p in parts), (check.id, parts)


@pytest.mark.skipif(not MIRROR.is_dir(), reason="Armada's repository is not on this machine")
def test_every_upstream_source_is_a_file_of_armada() -> None:
    paths = {p for c in catalogue() for p in c.source.split() if p != "contract"}
    missing = [
        p
        for p in sorted(paths)
        if not any(
            subprocess.run(["git", "-C", str(MIRROR), "cat-file", "-e", f"{rev}:{p}"], capture_output=True).returncode
            == 0
            for rev in ENDS
        )
    ]
    assert missing == []
