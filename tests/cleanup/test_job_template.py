"""The target file's [jobs] table: read strictly, and the template of every job the whole suite submits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conformance.checks import catalogue, select
from conformance.context import RunContext
from conformance.embedded import EmbeddedEnvironment
from conformance.runner import run_check
from conformance.settings import RunSettings
from conformance.target import TargetError, load_target
from conformance.target_jobs import DEFAULT_JOBS
from reference_server.store import Store

JOBS = """
[jobs]
namespace = "batch-ci"
image = "registry.example.com/tools/busybox:1.36"
command = ["sh", "-c"]
args = ["exit 0"]
long_command = ["sleep", "3600"]
priority_class = "armada-default"
resources = { cpu = "150m", memory = "96Mi" }
node_selector = { "pool" = "ci" }
tolerations = [{ key = "dedicated", operator = "Equal", value = "ci", effect = "NoSchedule" }]
labels = { "owner" = "platform" }
annotations = { "cost-centre" = "ci" }
"""


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "t.toml"
    path.write_text(f'[target]\ngrpc = "localhost:50051"\n{text}\n')
    return path


def test_defaults_are_the_old_fixed_job() -> None:
    item = DEFAULT_JOBS.item()
    container = item["podSpec"]["containers"][0]
    assert item["namespace"] == "default" and container["image"] == "busybox:1.36"
    assert container["resources"] == {
        "requests": {"cpu": "100m", "memory": "64Mi"},
        "limits": {"cpu": "100m", "memory": "64Mi"},
    }
    assert container["command"] == ["true"] and DEFAULT_JOBS.item("long")["podSpec"]["containers"][0]["command"] == [
        "sleep",
        "600",
    ]


def test_the_table_is_read_into_each_kind_of_job(tmp_path: Path) -> None:
    jobs = load_target(_file(tmp_path, JOBS)).jobs
    item = jobs.item("short", labels={"team": "conformance"})
    pod = item["podSpec"]
    assert item["namespace"] == "batch-ci" and item["labels"] == {"owner": "platform", "team": "conformance"}
    assert item["annotations"] == {"cost-centre": "ci"}
    assert pod["priorityClassName"] == "armada-default" and pod["nodeSelector"] == {"pool": "ci"}
    assert pod["tolerations"][0]["key"] == "dedicated"
    assert pod["containers"][0]["command"] == ["sh", "-c"] and pod["containers"][0]["args"] == ["exit 0"]
    assert jobs.item("long")["podSpec"]["containers"][0]["command"] == ["sleep", "3600"]
    assert "args" not in jobs.item("long")["podSpec"]["containers"][0]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[jobs]\nnamespce = "x"', "unknown key 'namespce' in [jobs]"),
        ("[jobs]\nimage = 3", "image must be a non-empty string"),
        ('[jobs]\ncommand = "true"', "command must be a list of strings"),
        ('[jobs]\ntolerations = [{ kee = "x" }]', "unknown key 'kee' in [jobs] tolerations"),
        ("[jobs]\nresources = {}", "resources must name at least one resource"),
        ("[jobs]\npriority = -1", "priority must be a number >= 0"),
        ('[jobz]\nimage = "x"', "unknown key 'jobz' in the top level"),
    ],
)
def test_a_wrong_jobs_table_is_one_clear_line(tmp_path: Path, text: str, named: str) -> None:
    with pytest.raises(TargetError, match=named.replace("[", r"\[").replace("]", r"\]")) as raised:
        load_target(_file(tmp_path, text))
    assert "\n" not in str(raised.value)


def test_every_job_the_whole_suite_submits_comes_from_the_template(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spy on the reference server's store: every item of every SubmitJobs the suite sent, whatever check sent it."""
    items: list[Any] = []
    real_submit = Store.submit

    def spy(self: Store, request: Any, owner: str) -> Any:
        if request.queue in self.queues:  # schemathesis' generated jobs only ever meet absent queues
            items.extend(request.job_request_items)
        return real_submit(self, request, owner)

    monkeypatch.setattr(Store, "submit", spy)
    jobs = load_target(_file(tmp_path, JOBS.replace('priority_class = "armada-default"\n', ""))).jobs
    with EmbeddedEnvironment(kerberos=False, oidc=False) as environment:
        target = environment.target()
        target.jobs = jobs
        ctx = RunContext(target, settings=RunSettings.given(events=100, jobs=10, watchers=1, batch_size=5))
        try:
            for check in select(catalogue(), "contract"):
                if check.category != "AUTH":
                    run_check(check, ctx)
        finally:
            ctx.cleanup()
            ctx.close()
    assert len(items) > 50
    strangers = [
        item
        for item in items
        if item.namespace != "batch-ci"
        or any(c.image != jobs.image for c in item.pod_spec.containers)
        or dict(item.pod_spec.nodeSelector) != {"pool": "ci"}
        or item.annotations.get("cost-centre") != "ci"
    ]
    assert not strangers, strangers[:1]
