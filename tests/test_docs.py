"""The documentation generated from code is current, and the README keeps its promises."""

from __future__ import annotations

import re
from pathlib import Path

from conformance.checks import catalogue
from conformance.cli import catalogue_markdown, main

REPO = Path(__file__).resolve().parent.parent


def test_docs_checks_md_is_the_generated_catalogue(capsys) -> None:  # type: ignore[no-untyped-def]
    main(["list-checks", "--markdown"])
    generated = capsys.readouterr().out
    assert (REPO / "docs" / "checks.md").read_text() == generated, (
        "docs/checks.md is stale: run `armada-conformance list-checks --markdown > docs/checks.md`"
    )


def test_catalogue_markdown_lists_every_check_once() -> None:
    rows = [
        {
            "id": c.id,
            "category": c.category,
            "requirement": c.requirement,
            "severity": c.severity.value,
            "needs": list(c.needs()),
            "excluded": list(c.excluded),
            "mutating": c.mutating,
        }
        for c in catalogue()
    ]
    text = catalogue_markdown(rows)
    for row in rows:
        assert text.count(f"`{row['id']}`") == 1


def test_readme_quick_start_has_the_two_commands() -> None:
    readme = (REPO / "README.md").read_text()
    commands = re.findall(r"^```sh\n(.*?)\n```", readme, flags=re.S | re.M)[0].splitlines()
    commands = [c for c in commands if c and not c.startswith("#")]
    assert commands[0].endswith("nox -s conformance")
    assert commands[1].endswith("nox -s tests")
    assert "nox -s tests" in (REPO / ".ci" / "run").read_text()
