"""docs/ci.md's recipes and every option's documentation, checked against the real parser.

A CI recipe that does not parse, or names a flag the command does not take,
fails the first pipeline that copies it; so the YAML is loaded, each
``armada-conformance`` command is parsed by the CLI's own argument parser (not
run), the artifact and JUnit paths must be the ones the command writes, and every
option of every command must be documented (README or docs/ci.md) and name its
default in ``--help``.
"""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance import cli

ROOT = Path(__file__).resolve().parents[2]
CI_DOC = ROOT / "docs" / "ci.md"
_FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


def blocks(language: str) -> list[str]:
    return [body for lang, body in _FENCE.findall(CI_DOC.read_text(encoding="utf-8")) if lang == language]


def recipes() -> dict[str, Any]:
    loaded = [yaml.safe_load(text) for text in blocks("yaml")]
    github = next(r for r in loaded if "jobs" in r)
    gitlab = next(r for r in loaded if "armada-conformance" in r)
    return {"github": github, "gitlab": gitlab}


def command_lines(texts: list[str]) -> list[list[str]]:
    """The arguments of every ``armada-conformance`` command in ``texts`` (one command per line)."""
    found = []
    for text in texts:
        for line in text.splitlines():
            if "armada-conformance " in line:
                words = shlex.split(line[line.index("armada-conformance ") :])
                found.append(words[1:])
    return found


def _shell_texts() -> list[str]:
    docs = recipes()
    github_runs = [step["run"] for step in docs["github"]["jobs"]["conformance"]["steps"] if "run" in step]
    gitlab_runs = docs["gitlab"]["armada-conformance"]["script"] + docs["gitlab"]["armada-conformance"]["after_script"]
    return github_runs + gitlab_runs + blocks("sh")


def _parse(words: list[str]) -> argparse.Namespace:
    try:
        return cli._parser().parse_args(words)
    except SystemExit as stop:
        raise AssertionError(f"armada-conformance {' '.join(words)} does not parse (exit {stop.code})") from None


def test_both_recipes_are_valid_yaml_of_their_ci() -> None:
    docs = recipes()
    steps = docs["github"]["jobs"]["conformance"]["steps"]
    assert all(isinstance(step, dict) and ("uses" in step or "run" in step) for step in steps)
    job = docs["gitlab"]["armada-conformance"]
    assert isinstance(job["script"], list) and job["artifacts"]["when"] == "always"


def test_every_documented_command_parses(capsys: pytest.CaptureFixture[str]) -> None:
    commands = command_lines(_shell_texts())
    assert len(commands) >= 6
    for words in commands:
        args = _parse(words)
        assert args.handler is not None, words
    assert capsys.readouterr().err == ""


def _run_args(texts: list[str]) -> argparse.Namespace:
    [words] = [w for w in command_lines(texts) if w[0] == "run"]
    return _parse(words)


def test_github_recipe_gates_keeps_artifacts_publishes_summary_and_junit() -> None:
    steps = recipes()["github"]["jobs"]["conformance"]["steps"]
    args = _run_args([s["run"] for s in steps if "run" in s])
    assert args.summary == "$GITHUB_STEP_SUMMARY"
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    junit = next(s for s in steps if "junit" in s.get("uses", ""))
    kept = upload["with"]["path"]
    assert all(path.startswith(kept) for path in (args.junit_xml, args.json, args.html))
    assert junit["with"]["report_paths"] == args.junit_xml
    assert upload["if"] == junit["if"] == "${{ !cancelled() }}"  # kept also when the gate failed
    gate = next(s for s in steps if "run" in s and "armada-conformance run" in s["run"])
    assert "if" not in gate and "continue-on-error" not in gate  # the exit status decides the job


def test_gitlab_recipe_gates_keeps_artifacts_publishes_summary_and_junit() -> None:
    job = recipes()["gitlab"]["armada-conformance"]
    args = _run_args(job["script"])
    assert job["artifacts"]["reports"]["junit"] == args.junit_xml
    assert all(
        any(path.startswith(kept) for kept in job["artifacts"]["paths"])
        for path in (args.junit_xml, args.json, args.html, args.summary)
    )
    assert f"cat {args.summary}" in job["after_script"]
    assert "allow_failure" not in job


def _options() -> list[tuple[str, argparse.Action]]:
    parser = cli._parser()
    found = [("", a) for a in parser._actions if a.option_strings]
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    found += [(name, a) for name, sub in commands.choices.items() for a in sub._actions if a.option_strings]
    return [(name, a) for name, a in found if "--help" not in a.option_strings]


def test_every_option_is_documented_in_readme_or_ci_doc() -> None:
    docs = (ROOT / "README.md").read_text(encoding="utf-8") + CI_DOC.read_text(encoding="utf-8")
    missing = [
        f"{command} {flag}".strip()
        for command, action in _options()
        for flag in action.option_strings
        if not re.search(re.escape(flag) + r"(?![\w-])", docs)
    ]
    assert missing == []


def test_every_option_help_names_its_default() -> None:
    silent = [
        f"{command} {action.option_strings[-1]}".strip()
        for command, action in _options()
        if action.option_strings != ["--version"] and "default" not in (action.help or "")
    ]
    assert silent == []


def test_documented_selections_name_checks_that_exist() -> None:
    from conformance.checks import catalogue, select

    for words in command_lines(_shell_texts()):
        args = _parse(words)
        for flag in ("only", "exclude"):
            chosen = getattr(args, flag, None) or ""
            if chosen:
                assert select(catalogue(), None, cli._words(chosen), f"--{flag}"), words
