"""Parse the Armada wire-facts document into data.

The facts file (``../shared/armada-api.md``) is the contract our protos must match.
We keep a JSON copy in ``tests/data/armada_api_facts.json`` so the descriptor test
runs for users who do not have ``../shared``; when the markdown is present, a test
checks the copy is still faithful to it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
FACTS_MD = REPO.parent / "shared" / "armada-api.md"
FACTS_JSON = REPO / "tests" / "data" / "armada_api_facts.json"

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
                {"number": int(row["#"]), "name": row["field"], "json": row["json"],
                 "label": row["label"], "type": row["type"]})
    for name in [n for n in list(_declared(text)) if n not in messages and n not in enums]:
        messages[name] = []
    return {"services": services, "messages": messages, "enums": enums}


def _declared(text: str) -> list[str]:
    """Message headings with an empty table (e.g. ``api.EndMarker``)."""
    return [m.group(1) for line in text.splitlines() if (m := _HEADING.match(line))
            and not line.startswith("### service")]


def load() -> dict[str, Any]:
    """Facts from the markdown when it is beside us, else from the committed JSON copy."""
    if FACTS_MD.exists():
        return parse_markdown(FACTS_MD.read_text())
    return json.loads(FACTS_JSON.read_text())


if __name__ == "__main__":  # regenerate the JSON copy: python tests/facts.py
    FACTS_JSON.write_text(json.dumps(parse_markdown(FACTS_MD.read_text()), indent=1, sort_keys=True) + "\n")
    print(f"wrote {FACTS_JSON}")
