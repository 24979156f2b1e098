"""Profiles are eras; each era's REST methods have their scenarios; the shipped known failures are usable."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import cases, eras
from conformance.checks import catalogue, select
from conformance.checks.parity import SUCCESS
from conformance.report.gate import SHIPPED_KNOWN, KnownFailuresError, load_known_failures
from conformance.target import TargetError, load_target


def test_aliases_name_the_eras() -> None:
    assert eras.canonical("seed") == "armada-2023" and eras.canonical("current") == "armada-2026"
    assert eras.era("seed") is eras.era("armada-2023")
    with pytest.raises(KeyError, match="armada-2023, armada-2026, seed, current"):
        eras.era("armada-2019")


def test_armada_2026_lacks_queue_info_and_probes_auth_with_a_method_it_has() -> None:
    current, seed = eras.era("armada-2026"), eras.era("armada-2023")
    assert current.lacks == {"Submit/GetQueueInfo"} and "QueueService/CreateQueue" in current.methods
    assert "Submit/GetQueueInfo" in seed.methods and not seed.lacks
    for era in (current, seed):
        assert era.auth_probe in era.methods and era.auth_probe not in era.lacks
    ids = {c.id for c in select(catalogue(), "current")}  # judged, and reported "not offered" by stock servers
    assert "SEMANTICS-QueueInfoCounts" in ids and "SWAGGER-Documents-GetQueueInfo" in ids
    assert {c.id for c in select(catalogue(), "seed")} == {c.id for c in select(catalogue(), "armada-2023")}


@pytest.mark.parametrize("era", eras.NAMES)
def test_every_rest_bound_method_of_each_era_has_a_parity_scenario(era: str) -> None:
    bound = [m for m in eras.era(era).methods if eras.rest_bound(m)]
    assert bound, era
    assert [m for m in bound if m not in SUCCESS] == []
    selected = {c.id for c in select(catalogue(), era)}
    assert {f"PARITY-{m.split('/')[1]}" for m in bound} <= selected


def test_one_absent_queue_request_serves_surface_parity_and_semantics() -> None:
    assert cases.probe("Submit/SubmitJobs", "a") == cases.refused("Submit/SubmitJobs", "a")
    assert cases.probe("QueueService/GetQueue", "a") == cases.refused("Submit/GetQueue", "a") == {"name": "a"}
    assert cases.refused("Event/GetJobSetEvents", "a")["errorIfMissing"] is True
    assert "errorIfMissing" not in cases.probe("Event/GetJobSetEvents", "a")
    quantities = cases.tiny_job()["podSpec"]["containers"][0]["resources"]["limits"]
    assert quantities == {"cpu": "100m", "memory": "64Mi"}  # strings: what real Armada's gateway takes


@pytest.mark.parametrize("name", ["armada-2023", "armada-2026", "current", "seed"])
def test_the_shipped_known_failures_load_by_name_and_name_real_checks(name: str) -> None:
    known = load_known_failures(name)
    ids = {c.id for c in catalogue()}
    assert known and all(k.id in ids and k.reason for k in known)
    assert (SHIPPED_KNOWN / f"{eras.canonical(name)}.toml").is_file()


def test_a_file_path_wins_over_a_shipped_name_and_unknown_names_are_clear(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "armada-2026").write_text('[[known_failure]]\nid = "SWAGGER-Valid"\nreason = "mine"\n')
    assert [k.reason for k in load_known_failures("armada-2026")] == ["mine"]
    with pytest.raises(KnownFailuresError, match="cannot read"):
        load_known_failures("armada-2030")


def _target(tmp_path: Path, lines: str) -> Path:
    path = tmp_path / "t.toml"
    path.write_text(f'[target]\ngrpc = "localhost:50051"\nrest = "http://localhost:8080"\n{lines}\n')
    return path


def test_target_profile_swagger_and_queue_wait(tmp_path: Path) -> None:
    target = load_target(
        _target(
            tmp_path,
            'profile = "current"\nswagger = "https://h/api/swagger.json"\n'
            "queue_ready_timeout = 3\nmax_query_items = 500",
        )
    )
    assert target.profile == "armada-2026" and target.swagger == "https://h/api/swagger.json"
    assert target.queue_ready_timeout == 3.0 and target.describe()["era"].startswith("armada-2026")
    assert target.max_query_items == 500
    default = load_target(_target(tmp_path, ""))
    assert default.profile == "armada-2023" and default.max_query_items is None


@pytest.mark.parametrize(
    "lines, message",
    [
        ('profile = "newest"', "profile must be one of armada-2023, armada-2026, seed, current"),
        ('swagger = "h/swagger.json"', "swagger must be an http"),
        ("queue_ready_timeout = -1", "queue_ready_timeout must be seconds"),
        ('queue_ready_timeout = "soon"', "queue_ready_timeout must be seconds"),
        ("max_query_items = 0", "max_query_items must be a whole number from 1 to 100000"),
        ("max_query_items = 2.5", "max_query_items must be a whole number"),
        ("max_query_items = true", "max_query_items must be a whole number"),
    ],
)
def test_bad_era_settings_are_one_clear_line(tmp_path: Path, lines: str, message: str) -> None:
    with pytest.raises(TargetError, match=message):
        load_target(_target(tmp_path, lines))
