"""Our compiled descriptors against the wire facts (``../shared/armada-api.md`` or its JSON copy).

Every message, field, enum, service, method and HTTP binding listed in the facts is
checked against ``protos.pool()``: name, number, type, label and JSON name of each
field; the values of each enum; request, response and streaming of each method; and
the ``google.api.http`` rule. A drift in either the protos or the facts fails here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from facts import FACTS_MD, SOURCES, http_statuses, load, parse_markdown
from google.protobuf import descriptor

import protos

FACTS = load()
REPO = Path(__file__).resolve().parent.parent

_SCALARS = {
    descriptor.FieldDescriptor.TYPE_DOUBLE: "double",
    descriptor.FieldDescriptor.TYPE_FLOAT: "float",
    descriptor.FieldDescriptor.TYPE_INT64: "int64",
    descriptor.FieldDescriptor.TYPE_UINT64: "uint64",
    descriptor.FieldDescriptor.TYPE_INT32: "int32",
    descriptor.FieldDescriptor.TYPE_UINT32: "uint32",
    descriptor.FieldDescriptor.TYPE_FIXED64: "fixed64",
    descriptor.FieldDescriptor.TYPE_FIXED32: "fixed32",
    descriptor.FieldDescriptor.TYPE_SFIXED64: "sfixed64",
    descriptor.FieldDescriptor.TYPE_SFIXED32: "sfixed32",
    descriptor.FieldDescriptor.TYPE_SINT64: "sint64",
    descriptor.FieldDescriptor.TYPE_SINT32: "sint32",
    descriptor.FieldDescriptor.TYPE_BOOL: "bool",
    descriptor.FieldDescriptor.TYPE_STRING: "string",
    descriptor.FieldDescriptor.TYPE_BYTES: "bytes",
}


def _is_map(field: descriptor.FieldDescriptor) -> bool:
    return field.type == descriptor.FieldDescriptor.TYPE_MESSAGE and field.message_type.GetOptions().map_entry


def type_name(field: descriptor.FieldDescriptor) -> str:
    """The facts' spelling of a field's type: scalar name, full name, or ``map<k, v>``."""
    if _is_map(field):
        entry = field.message_type
        return f"map<{type_name(entry.fields_by_name['key'])}, {type_name(entry.fields_by_name['value'])}>"
    if field.type == descriptor.FieldDescriptor.TYPE_MESSAGE:
        return field.message_type.full_name
    if field.type == descriptor.FieldDescriptor.TYPE_ENUM:
        return field.enum_type.full_name
    return _SCALARS[field.type]


def label(field: descriptor.FieldDescriptor) -> str:
    """``repeated``, ``oneof <name>`` or "" (maps and proto3 ``optional`` count as unlabelled)."""
    if field.is_repeated and not _is_map(field):
        return "repeated"
    oneof = field.containing_oneof
    synthetic = oneof is not None and len(oneof.fields) == 1 and oneof.name == f"_{field.name}"
    if oneof is not None and not synthetic:
        return f"oneof {oneof.name}"
    return ""


def _message_params() -> list[Any]:
    return [pytest.param(name, fields, id=name) for name, fields in sorted(FACTS["messages"].items())]


def _field_params() -> list[Any]:
    return [
        pytest.param(name, fact, id=f"{name}.{fact['name']}")
        for name, fields in sorted(FACTS["messages"].items())
        for fact in fields
    ]


def _method_params() -> list[Any]:
    return [
        pytest.param(service, row, id=f"{service}/{row['method']}")
        for service, rows in sorted(FACTS["services"].items())
        for row in rows
    ]


def test_facts_are_not_empty() -> None:
    assert len(FACTS["messages"]) > 50
    assert set(protos.SERVICES) <= set(FACTS["services"])
    assert len(FACTS["enums"]) >= 5


@pytest.mark.parametrize(("message_name", "fact"), _field_params())
def test_field_matches_facts(message_name: str, fact: dict[str, Any]) -> None:
    msg = protos.pool().FindMessageTypeByName(message_name)
    field = msg.fields_by_number.get(fact["number"])
    assert field is not None, f"{message_name} has no field number {fact['number']} ({fact['name']})"
    actual = {
        "name": field.name,
        "number": field.number,
        "type": type_name(field),
        "label": label(field),
        "json": field.json_name,
    }
    assert actual == fact


@pytest.mark.parametrize(("message_name", "fields"), _message_params())
def test_api_message_declares_no_unlisted_field(message_name: str, fields: list[dict[str, Any]]) -> None:
    """Messages of package ``api`` are listed in full; Kubernetes ones are deliberate subsets."""
    msg = protos.pool().FindMessageTypeByName(message_name)
    listed = {f["number"] for f in fields}
    if message_name.startswith("api."):
        assert set(msg.fields_by_number) == listed, f"{message_name}: numbers differ from the facts"
    else:
        assert listed <= set(msg.fields_by_number)


@pytest.mark.parametrize(("enum_name", "values"), sorted(FACTS["enums"].items()), ids=sorted(FACTS["enums"]))
def test_enum_matches_facts(enum_name: str, values: dict[str, int]) -> None:
    enum = protos.pool().FindEnumTypeByName(enum_name)
    assert {v.name: v.number for v in enum.values} == values


@pytest.mark.parametrize(("service_name", "row"), _method_params())
def test_method_matches_facts(service_name: str, row: dict[str, str]) -> None:
    method = protos.service(service_name).methods_by_name.get(row["method"])
    assert method is not None, f"{service_name} lacks {row['method']}"
    assert method.input_type.full_name == row["request"]
    assert method.output_type.full_name == row["response"]
    assert method.server_streaming == (row.get("streaming", "") == "server")
    assert not method.client_streaming
    binding = protos.http_binding(method)
    if row["HTTP"] == "(none)":
        assert binding is None, f"{service_name}/{row['method']} has an unexpected HTTP rule {binding}"
        return
    verb, path, *rest = row["HTTP"].split()
    body = rest[0].removeprefix("body=") if rest else ""
    assert binding == protos.HttpBinding(verb=verb, path=path, body=body)


@pytest.mark.parametrize("service_name", protos.SERVICES)
def test_service_offers_exactly_the_listed_methods(service_name: str) -> None:
    listed = {row["method"] for row in FACTS["services"][service_name]}
    assert {m.name for m in protos.service(service_name).methods} == listed


@pytest.mark.parametrize(("markdown", "copy"), SOURCES, ids=[m.name for m, _ in SOURCES])
def test_json_copy_is_faithful_to_markdown(markdown: Path, copy: Path) -> None:
    if not markdown.exists():
        pytest.skip(f"{markdown} is not present; the JSON copy is the only source")
    assert json.loads(copy.read_text()) == parse_markdown(markdown.read_text()), (
        f"tests/data/{copy.name} is stale: regenerate it with `python tests/facts.py`"
    )


def test_wheel_ships_every_proto_and_they_compile(tmp_path: Path) -> None:
    """A built wheel holds every ``.proto``, and ``protos`` compiles from the unpacked wheel alone."""
    source = tmp_path / "src"
    shutil.copytree(
        REPO,
        source,
        ignore=shutil.ignore_patterns(
            ".git", "tests", "reports", "build", "dist", "*.egg-info", "__pycache__", ".*cache"
        ),
    )
    (source / "README.md").touch()
    started = time.monotonic()
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            ".",
            "-w",
            str(tmp_path / "wheel"),
        ],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if built.returncode != 0:
        pytest.fail(f"pip wheel failed:\n{built.stderr[-2000:]}")
    if time.monotonic() - started > 60:
        pytest.skip("building the wheel took over a minute on this machine")
    (wheel,) = (tmp_path / "wheel").glob("*.whl")
    expected = {f"protos/{p.relative_to(REPO / 'protos').as_posix()}" for p in (REPO / "protos").rglob("*.proto")}
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert expected <= names, f"missing from the wheel: {sorted(expected - names)}"
        archive.extractall(tmp_path / "site")
    code = (
        "import protos; protos.pool().FindMessageTypeByName('api.Queue'); "
        "protos.service('api.Event'); print(protos.__file__)"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(tmp_path / "site")
    ran = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip().startswith(str(tmp_path / "site")), ran.stdout


def test_the_rest_status_table_is_the_facts_files() -> None:
    """The suite's gRPC code -> HTTP status table (which the gateway's is tested against) is the facts file's."""
    import grpc

    from conformance.dialects import HTTP_STATUS

    if not FACTS_MD.exists():
        pytest.skip(f"{FACTS_MD} is not beside the repository")
    facts = http_statuses(FACTS_MD.read_text())
    assert len(facts) == len(grpc.StatusCode) and facts == HTTP_STATUS
