"""Parse the Armada wire-facts documents into data.

The facts files (``../shared/armada-api.md``: Submit, QueueService, Event; and
``../shared/armada-api-more.md``: Jobs, RetryPolicyService) are the contract our protos
must match. Each has a JSON copy in ``tests/data/`` so the descriptor test runs for
users who do not have ``../shared``; when a markdown file is present, a test checks its
copy is still faithful to it. ``load`` merges the sources into one set of facts.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
FACTS_MD = REPO.parent / "shared" / "armada-api.md"
FACTS_JSON = REPO / "tests" / "data" / "armada_api_facts.json"
MORE_MD = REPO.parent / "shared" / "armada-api-more.md"
MORE_JSON = REPO / "tests" / "data" / "armada_api_more_facts.json"
# (markdown source, committed JSON copy) of every facts document.
SOURCES: tuple[tuple[Path, Path], ...] = ((FACTS_MD, FACTS_JSON), (MORE_MD, MORE_JSON))

_HEADING = re.compile(r"^#{3,4} (?:service )?`([\w.]+)`")


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def parse_markdown(text: str) -> dict[str, Any]:
    """Return ``{"services": {...}, "messages": {...}, "enums": {...}}`` from the facts text."""
    services: dict[str, list[dict[str, str]]] = {}
    messages: dict[str, list[dict[str, Any]]] = {}
    enums: dict[str, dict[str, int]] = {}
    current: str | None = None
    header: list[str] = []
    for raw in text.splitlines():
        line = raw.rstrip()
        m = _HEADING.match(line)
        if m:
            current, header = m.group(1), []
            continue
        if line.startswith("## The seed-era"):
            current, header = "seed", []
            continue
        if current is None:
            continue
        if not line.startswith("|"):
            if "=" in line and current != "seed":  # an enum: "A = 0, B = 1"
                enums[current] = {k.strip(): int(v) for k, v in (i.split("=") for i in line.split(","))}
            continue
        cells = _cells(line)
        if set("".join(cells)) <= set("-: "):
            continue
        if not header or cells[0] in ("method", "message"):
            header = cells
            continue
        row = dict(zip(header, cells, strict=True))
        if "method" in header:
            service = current if current != "seed" else "api.Submit"
            services.setdefault(service, []).append(row)
        elif "#" in header:
            name = current if current != "seed" else row.pop("message")
            messages.setdefault(name, []).append(
                {
                    "number": int(row["#"]),
                    "name": row["field"],
                    "json": row["json"],
                    "label": row["label"],
                    "type": row["type"],
                }
            )
    for name in [n for n in list(_declared(text)) if n not in messages and n not in enums]:
        messages[name] = []
    return {"services": services, "messages": messages, "enums": enums}


def _declared(text: str) -> list[str]:
    """Message headings with an empty table (e.g. ``api.EndMarker``)."""
    return [
        m.group(1) for line in text.splitlines() if (m := _HEADING.match(line)) and not line.startswith("### service")
    ]


def load_one(markdown: Path, copy: Path) -> dict[str, Any]:
    """One document's facts: from the markdown when it is beside us, else from its JSON copy."""
    if markdown.exists():
        return parse_markdown(markdown.read_text())
    return json.loads(copy.read_text())


def load() -> dict[str, Any]:
    """Every document's facts merged; a name two documents define differently is an error."""
    merged: dict[str, Any] = {"services": {}, "messages": {}, "enums": {}}
    for markdown, copy in SOURCES:
        for kind, entries in load_one(markdown, copy).items():
            for name, value in entries.items():
                if merged[kind].get(name, value) != value:
                    raise ValueError(f"{markdown.name} defines {name} differently from an earlier facts file")
                merged[kind][name] = value
    return merged


def http_statuses(text: str) -> dict[str, int]:
    """The gRPC code -> HTTP status mapping the facts file states in prose ("OK 200, CANCELLED 408, ...")."""
    start = text.index("HTTP status from the gRPC code (") + len("HTTP status from the gRPC code (")
    mapping = text[start : text.index(")", start)]
    return {code: int(status) for code, status in re.findall(r"([A-Z_]+) (\d{3})", mapping)}


if __name__ == "__main__":  # regenerate the JSON copies: python tests/facts.py
    for markdown, copy in SOURCES:
        copy.write_text(json.dumps(parse_markdown(markdown.read_text()), indent=1, sort_keys=True) + "\n")
        print(f"wrote {copy}")
