"""The release table: versions parse, every row is well formed, presets and overrides resolve as documented."""

from __future__ import annotations

import re

import pytest

from conformance import releases
from conformance.releases import FEATURES, NEWEST, PRESETS, Version, release

V = Version.parse


@pytest.mark.parametrize(
    ("text", "expected"),
    [("v0.19.3", (0, 19, 3)), ("0.19.3", (0, 19, 3)), ("0.19", (0, 19, 0)), ("v0.9.7-patch1", (0, 9, 7))],
)
def test_versions_parse(text: str, expected: tuple[int, int, int]) -> None:
    assert V(text) == Version(*expected)
    assert str(V(text)) == "v{}.{}.{}".format(*expected)


@pytest.mark.parametrize("text", ["", "armada", "v1", "0.19.x", "v0.19.3.4"])
def test_a_bad_version_is_one_clear_error(text: str) -> None:
    with pytest.raises(ValueError, match=r"expected e\.g\. v0\.19\.3"):
        V(text)


def test_versions_order_numerically() -> None:
    assert V("v0.4.9") < V("v0.4.20") < V("v0.10.0") and V("0.19") < V("v0.19.3")


def test_every_row_is_well_formed() -> None:
    for name, feature in FEATURES.items():
        assert feature.name == name and re.fullmatch(r"[a-z][a-z0-9_]*", name), name
        assert feature.summary and "\n" not in feature.summary, name
        assert feature.source, f"{name}: no upstream source named"
        if feature.since or (feature.until and feature.until != releases.NO_RELEASE):
            assert re.fullmatch(r"[0-9a-f]{7,40}", feature.commit), f"{name}: a change without its commit"
        if feature.since and feature.until:
            assert feature.since < feature.until, name
        for bound in (feature.since, feature.until):
            assert bound is None or bound <= V(NEWEST), name


def test_the_table_names_only_its_features() -> None:
    named = [f for needs in releases.METHOD_FEATURES.values() for f in needs]
    named += [f for needs in releases.SERVICE_FEATURES.values() for f in needs]
    named += [f for needs in releases.REST_FEATURES.values() for f in needs]
    named += list(releases.FIELD_FEATURES.values())
    assert set(named) <= set(FEATURES)


def test_the_two_ends_are_the_facts_files_two_eras() -> None:
    seed, current = release("armada-2023"), release("armada-2026")
    assert seed.name == "v0.3.103" and current.name == NEWEST
    assert seed.has("get_queue_info") and seed.has("kerberos") and not seed.has("queue_service")
    assert not current.has("get_queue_info") and not current.has("kerberos")
    assert current.has("timestamp_object") and current.has("retry_policies") and current.has("queue_cache")
    assert release("seed") == seed and release("current") == current


def test_a_release_between_the_ends_has_what_came_before_it() -> None:
    mid = release("v0.8.7")
    assert mid.has("timestamp_object") and mid.has("queue_upsert") and mid.has("queue_service")
    assert not mid.has("cordon") and not mid.has("get_queue_info") and not mid.has("get_active_queues")
    assert release("v0.8.6").has("timestamp_object") is False


def test_since_is_inclusive_and_until_exclusive() -> None:
    for feature in FEATURES.values():
        if feature.since:
            assert release(str(feature.since)).has(feature.name), feature.name
        if feature.until and feature.until != releases.NO_RELEASE:
            assert not release(str(feature.until)).has(feature.name), feature.name


def test_a_short_release_is_its_dot_zero() -> None:
    assert release("0.19") == release("v0.19.0") and release("0.19").name == "v0.19.0"


def test_a_release_newer_than_the_table_is_judged_as_the_newest_and_says_so() -> None:
    judged = release("v0.30.0")
    assert judged.features == release(NEWEST).features and judged.name == NEWEST
    assert judged.note == f"v0.30.0 is newer than the table: judged as {NEWEST}"
    assert "newer than the table" in judged.describe()


def test_a_release_older_than_the_table_is_refused() -> None:
    with pytest.raises(ValueError, match="older than the table"):
        release("v0.2.0")


def test_an_unknown_name_lists_the_choices() -> None:
    with pytest.raises(ValueError, match="armada-2023, seed, armada-2026, current, contract"):
        release("armada-2028")


def test_overrides_switch_single_features() -> None:
    judged = release("v0.19.3", {"queue_cache": False, "kerberos": True})
    assert not judged.has("queue_cache") and judged.has("kerberos")
    assert judged.features ^ release("v0.19.3").features == {"queue_cache", "kerberos"}
    assert "+kerberos" in judged.describe() and "-queue_cache" in judged.describe()


def test_an_unknown_override_names_it() -> None:
    with pytest.raises(ValueError, match=r"unknown feature.*no_such_thing"):
        release("v0.19.3", {"no_such_thing": True})
    with pytest.raises(ValueError, match="must be true or false"):
        release("v0.19.3", {"kerberos": "yes"})  # type: ignore[dict-item]


def test_the_contract_has_the_contract_rows_only() -> None:
    judged = release("contract")
    assert judged.version is None and judged.is_contract
    assert judged.features == {f.name for f in FEATURES.values() if f.contract}
    assert judged.has("queue_name_validated") and not judged.has("go_json")
    assert not any(release(r).has("queue_name_validated") for r in releases.changes())


def test_methods_need_their_features() -> None:
    seed, mid, current = release("armada-2023"), release("v0.4.30"), release(NEWEST)
    assert seed.serves("Submit/GetQueueInfo") and not current.serves("Submit/GetQueueInfo")
    assert mid.serves("Jobs/GetJobStatus") and not mid.serves("Jobs/GetJobStatus", "rest")
    assert current.serves("Jobs/GetJobStatus", "rest") and not seed.serves("QueueService/GetQueue")
    assert [f.name for f in release("v0.9.8").missing("Jobs/GetActiveQueues")] == ["get_active_queues"]
    assert current.serves("Submit/SubmitJobs") and seed.serves("Submit/SubmitJobs")


def test_the_changes_walk_every_combination() -> None:
    walked = releases.changes()
    assert walked[0] == releases.OLDEST and walked[-1] == NEWEST
    combos = {release(r).features for r in walked}
    # Any release number gives one of the walked combinations.
    for probe in ("v0.4.0", "v0.4.30", "v0.12.0", "v0.19.3", "v0.20.39", "v0.22.5"):
        assert release(probe).features in combos, probe


def test_presets_point_into_the_table() -> None:
    for preset, target in PRESETS.items():
        assert release(preset).version == V(target), preset


def test_the_report_header_names_the_release_judged_and_its_features() -> None:
    from conformance.report.html_report import render_html
    from conformance.report.json_report import report_to_dict
    from conformance.report.markdown import render_summary
    from conformance.results import RunReport
    from conformance.target import Target

    target = Target(name="t", grpc="h:1", rest=None, profile="0.19", features={"queue_cache": False})
    report = RunReport(target.describe(), target.profile, "test", "", "", {})
    summary, html = render_summary(report), render_html(report)
    assert "release `v0.19.0 (features -queue_cache)`" in summary
    assert "Release judged: v0.19.0" in summary and "`cordon`" in summary
    assert "release v0.19.0 (features -queue_cache)" in html and "Release judged" in html
    stored = report_to_dict(report)
    assert stored["profile"] == "v0.19.0" and "cordon" in stored["target"]["features"]
    assert "queue_cache" not in stored["target"]["features"]


def test_every_alias_names_a_preset_of_the_same_release() -> None:
    for alias, preset in releases.ALIASES.items():
        assert PRESETS[alias] == PRESETS[preset] and preset in releases.PRESET_NAMES
    assert releases.PRESET_NAMES == ("armada-2023", "armada-2026")
