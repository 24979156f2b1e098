"""When each ``api.*`` field of our protos came into Armada: read from Armada's git history, stored as data.

A release's swagger documents the fields its ``pkg/api/*.proto`` had. Which fields
those were is a fact of Armada's history, not something to list by hand: ``python -m
conformance.proto_history <armada-git-dir>`` reads ``pkg/api/*.proto`` at every release
tag and writes, for every field of our protos' ``api.*`` messages, the first release
whose protos have it (``conformance/data/proto_fields.json``). SWAGGER-Definitions then
asks a release's swagger only for the fields of that release (``fields_after``).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

from conformance.releases import OLDEST, Release, Version

DATA = Path(__file__).parent / "data" / "proto_fields.json"
_TAG = re.compile(r"^v0\.\d+\.\d+$")
_FIELD = re.compile(r"^\s*(?:repeated\s+|optional\s+)?(?:map\s*<[^>]+>|[\w.]+)\s+(\w+)\s*=\s*\d+")
_VALUE = re.compile(r"^\s*(\w+)\s*=\s*-?\d+")
_OPEN = re.compile(r"^\s*(message|oneof|enum|service)\s+(\w+)\s*\{")


def proto_fields(text: str) -> set[str]:
    """``api.Message.field`` (nested messages dotted) for every field of every message in ``text``, and
    ``api.Enum.VALUE`` for every enum value."""
    found: set[str] = set()
    stack: list[tuple[str, str]] = []  # (kind, name) of the open blocks
    for raw in text.splitlines():
        line = raw.split("//", 1)[0]
        opened = _OPEN.match(line)
        if opened:
            stack.append((opened.group(1), opened.group(2)))
        else:
            field = _FIELD.match(line)
            messages = [name for kind, name in stack if kind == "message"]
            if field and stack and stack[-1][0] in ("message", "oneof") and messages:
                found.add("api." + ".".join(messages) + "." + field.group(1))
            value = _VALUE.match(line)
            if value and stack and stack[-1][0] == "enum" and value.group(1) != "option":
                found.add("api." + ".".join([*messages, stack[-1][1]]) + "." + value.group(1))
        for _ in range(line.count("}") - line.count("{") + (1 if opened else 0)):
            if stack:
                stack.pop()
    return found


def history(git_dir: str) -> dict[str, str]:
    """Every field of Armada's ``pkg/api/*.proto`` at some release, with the first release that has it."""

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", git_dir, *args], capture_output=True, text=True, check=True).stdout

    tags = sorted((t for t in git("tag").split() if _TAG.match(t)), key=Version.parse)
    tags = [t for t in tags if Version.parse(t) >= Version.parse(OLDEST)]
    first: dict[str, str] = {}
    for tag in tags:
        for path in git("ls-tree", "--name-only", tag, "pkg/api/").split():
            if path.endswith(".proto"):
                for name in proto_fields(git("show", f"{tag}:{path}")):
                    first.setdefault(name, tag)
    return first


@cache
def first_release() -> dict[str, str]:
    """``api.Message.field`` -> the first release (of the table's range) whose protos have it."""
    return dict(json.loads(DATA.read_text()))


def fields_after(judged: Release) -> frozenset[str]:
    """The fields our protos have that ``judged``'s protos (and so its swagger) do not: later, or never Armada's."""
    if judged.version is None:
        return frozenset()
    known = first_release()
    return frozenset(f for f in api_field_names() if f not in known or Version.parse(known[f]) > judged.version)


@cache
def api_field_names() -> frozenset[str]:
    """Every field of the ``api.*`` messages our methods take and answer (nested ones included), and every
    value of the ``api.*`` enums they use (``api.Cause.Rejected``)."""
    from conformance.eras import all_methods, descriptor_of

    names: set[str] = set()
    seen: set[str] = set()
    todo = [d for m in all_methods() for d in (descriptor_of(m).input_type, descriptor_of(m).output_type)]
    while todo:
        desc = todo.pop()
        if desc.full_name in seen or not desc.full_name.startswith("api."):
            continue
        seen.add(desc.full_name)
        if desc.GetOptions().map_entry:  # a map's key/value: the map field itself is the fact
            continue
        for f in desc.fields:
            names.add(f.full_name)
            if f.enum_type is not None and f.enum_type.full_name.startswith("api."):
                names.update(f"{f.enum_type.full_name}.{v.name}" for v in f.enum_type.values)
            if f.message_type is not None:
                todo.append(f.message_type)
    return frozenset(names)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m conformance.proto_history <armada-git-dir>", file=sys.stderr)
        return 2
    found = history(argv[1])
    ours = {f: found[f] for f in sorted(api_field_names()) if f in found}
    DATA.parent.mkdir(exist_ok=True)
    DATA.write_text(json.dumps(ours, indent=1, sort_keys=True) + "\n")
    print(f"{DATA}: {len(ours)} fields ({len(api_field_names()) - len(ours)} of ours never in Armada's protos)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
