"""SWAGGER-Definitions asks a release's swagger for the fields its protos had: Armada's history, stored as data."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conformance.checks.swagger.definitions import definitions_problems
from conformance.checks.swagger.facts import binding
from conformance.eras import all_methods, missing_fields, rest_bound
from conformance.proto_history import api_field_names, fields_after, first_release, proto_fields
from conformance.releases import NEWEST, contract, release

MIRROR = Path("/work/.mirror/armadaproject+armada/repo")
# In Armada's HEAD (207cc9e, 2026-08-21, "Add requestor information") but in no release tag yet.
NOT_RELEASED = {"api.JobPreemptedEvent.requestor"}


def test_every_field_of_ours_has_its_first_release_or_is_unreleased() -> None:
    known = first_release()
    assert {f for f in api_field_names() if f not in known} == NOT_RELEASED
    assert known["api.Cause.Rejected"] == "v0.4.50" and known["api.Queue.cordoned"] == "v0.9.8"


def test_a_release_predates_exactly_the_later_fields() -> None:
    assert "api.Queue.cordoned" in fields_after(release("v0.9.7"))
    assert "api.Queue.cordoned" not in fields_after(release("v0.9.8"))
    assert fields_after(release(NEWEST)) == NOT_RELEASED and fields_after(contract()) == frozenset()


def test_the_proto_reader_knows_nesting_oneofs_maps_and_enums() -> None:
    text = """
    message Outer {
      string a = 1; // a comment
      map<string, int32> counts = 2;
      oneof kind {
        Inner inner = 3;
      }
      message Inner {
        repeated string b = 1;
      }
      enum Mode {
        MODE_A = 0;
        MODE_B = 1;
      }
    }
    """
    assert proto_fields(text) == {
        "api.Outer.a",
        "api.Outer.counts",
        "api.Outer.inner",
        "api.Outer.Inner.b",
        "api.Outer.Mode.MODE_A",
        "api.Outer.Mode.MODE_B",
    }


@pytest.mark.skipif(not MIRROR.is_dir(), reason="Armada's repository is not on this machine")
def test_armadas_own_2023_swagger_documents_what_its_release_had() -> None:
    """Armada's pkg/api/api.swagger.json at c3d5889 (v0.3.x): no field or enum value is reported missing."""
    text = subprocess.run(
        ["git", "-C", str(MIRROR), "show", "c3d5889:pkg/api/api.swagger.json"], capture_output=True, text=True
    ).stdout
    judged = release("armada-2023")
    bindings = [binding(m) for m in all_methods() if rest_bound(m) and judged.serves(m, "rest")]
    doc = json.loads(text)
    assert definitions_problems(doc, bindings, missing_fields(judged) | fields_after(judged)) == []
    assert definitions_problems(doc, bindings, missing_fields(judged))  # a hand list of four fields is not enough
