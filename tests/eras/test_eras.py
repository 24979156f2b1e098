"""Profiles are releases; each release's REST methods have their scenarios; the shipped known failures are usable."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import cases, eras, known_failures
from conformance.checks import catalogue, select
from conformance.checks.parity import PARITY
from conformance.releases import FEATURES, NEWEST, release
from conformance.report.gate import SHIPPED_KNOWN, KnownFailuresError, load_known_failures
from conformance.target import TargetError, load_target


def test_aliases_name_the_presets() -> None:
    assert eras.canonical("seed") == "armada-2023" and eras.canonical("current") == "armada-2026"
    assert eras.judged("seed") == eras.judged("armada-2023") == eras.judged("v0.3.103")
    assert eras.canonical("0.19") == "v0.19.0" and eras.canonical("contract") == "contract"
    with pytest.raises(ValueError, match="armada-2023, seed, armada-2026, current, contract"):
        eras.judged("armada-2019")


def test_the_newest_lacks_queue_info_and_probes_auth_with_a_method_it_has() -> None:
    current, seed = eras.judged("armada-2026"), eras.judged("armada-2023")
    assert "Submit/GetQueueInfo" not in eras.methods(current) and "QueueService/CreateQueue" in eras.methods(current)
    assert "Submit/GetQueueInfo" in eras.methods(seed) and "QueueService/CreateQueue" not in eras.methods(seed)
    for judged in (current, seed, eras.judged("v0.8.7"), eras.judged("contract")):
        assert eras.auth_probe(judged) in eras.methods(judged)
    by_id = {c.id: c for c in catalogue()}
    for check_id in ("SEMANTICS-QueueInfoCounts", "SWAGGER-Documents-GetQueueInfo"):
        assert "lacks get_queue_info" in by_id[check_id].not_offered(current)
        assert by_id[check_id].not_offered(seed) == ""
    assert {c.id for c in select(catalogue(), "seed")} == {c.id for c in select(catalogue(), "armada-2023")}


@pytest.mark.parametrize("profile", [*eras.NAMES, "v0.4.30", "v0.8.7", "contract"])
def test_every_rest_bound_method_a_release_serves_has_a_parity_scenario(profile: str) -> None:
    judged = eras.judged(profile)
    bound = [m for m in eras.methods(judged) if eras.rest_bound(m) and judged.serves(m, "rest")]
    assert bound, profile
    assert [m for m in bound if m not in PARITY] == []
    selected = {c.id for c in select(catalogue(), judged)}
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


@pytest.mark.parametrize("preset", known_failures.PRESET_FILES)
def test_each_shipped_file_is_what_the_causes_derive_for_its_release(preset: str) -> None:
    shipped = {(k.id, k.reason) for k in load_known_failures(preset)}
    derived = {(k.id, k.reason) for k in known_failures.shipped_for(release(preset))}
    assert shipped == derived, (
        f"conformance/known/{preset}.toml and the entries derived for {release(preset).name} differ: name the "
        "feature that causes each entry in CAUSES of conformance/known_failures.py (an entry both files "
        "share has one reason)"
    )
    assert {c.lstrip("-") for c in known_failures.CAUSES.values()} <= set(FEATURES)


def test_any_release_finds_its_shipped_deviations() -> None:
    mid = {k.id for k in known_failures.known_failures("v0.8.7")}
    # no retry policies there to deviate; from v0.4.44 a pod spec without containers is accepted
    assert mid == {
        "SWAGGER-Valid",
        "SWAGGER-EnumsAsNames",
        "SWAGGER-Schemathesis",
        "SEMANTICS-QueueEmptyName",
        "SEMANTICS-SubmitInvalid",
    }
    assert "SEMANTICS-SubmitInvalid" not in {k.id for k in known_failures.known_failures("v0.4.30")}
    assert known_failures.known_failures("contract") == []
    with pytest.raises(ValueError, match="neither a known-failures file nor a release"):
        known_failures.known_failures("armada-2030")


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
    assert target.queue_ready_timeout == 3.0 and target.describe()["release"].startswith(NEWEST)
    assert target.max_query_items == 500
    default = load_target(_target(tmp_path, ""))
    assert default.profile == NEWEST and default.release == release(NEWEST) and default.max_query_items is None


def test_a_target_names_its_release_and_overrides_single_features(tmp_path: Path) -> None:
    target = load_target(_target(tmp_path, 'profile = "0.19"\n[target.features]\nqueue_cache = false'))
    assert target.profile == "v0.19.0" and not target.release.has("queue_cache")
    assert target.describe()["release"] == "v0.19.0 (features -queue_cache)"
    assert "queue_cache" not in target.describe()["features"] and "cordon" in target.describe()["features"]
    newer = load_target(_target(tmp_path, 'profile = "v0.40.1"'))
    assert newer.release.features == release(NEWEST).features
    assert "v0.40.1 is newer than the table" in newer.describe()["release"]


@pytest.mark.parametrize(
    "lines, message",
    [
        ('profile = "newest"', "unknown release 'newest'.*armada-2023, seed, armada-2026, current, contract"),
        ('profile = "v0.1.0"', "older than the table"),
        ("[target.features]\nno_such = true", "unknown key 'no_such' in \\[target.features\\]"),
        ('[target.features]\nkerberos = "yes"', "must be a table of feature = true / false"),
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


def test_an_unknown_feature_override_is_one_line_exit_2(tmp_path: Path) -> None:
    from conformance.options import RunOptions
    from conformance.plan import ConfigError, prepare

    path = _target(tmp_path, 'profile = "v0.19.3"\n[target.features]\nqueue_cahce = false')
    with pytest.raises(ConfigError) as refused:
        prepare(str(path), RunOptions(only=("SURFACE",)))
    assert refused.value.exit_code == 2 and "unknown key 'queue_cahce' in [target.features]" in str(refused.value)
    assert "\n" not in str(refused.value)
