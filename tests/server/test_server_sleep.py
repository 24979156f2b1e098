"""The simulated container reads ``sleep`` as busybox 1.36 does (``libbb/duration.c``, ``sleep.c``)."""

from __future__ import annotations

import pytest

import protos
from reference_server.exits import FOREVER_S, SHORT_S, ending, sleep_seconds


@pytest.mark.parametrize(
    "args, seconds",
    [
        (["10"], 10.0),
        (["10s"], 10.0),
        (["1m"], 60.0),
        (["1.5"], 1.5),
        (["1h"], 3600.0),
        (["2d"], 172800.0),
        (["1m", "30s"], 90.0),  # several arguments add up
        ([".5m"], 30.0),
        (["inf"], FOREVER_S),
        (["infinity"], FOREVER_S),
    ],
)
def test_durations_busybox_reads(args: list[str], seconds: float) -> None:
    assert sleep_seconds(args) == seconds


@pytest.mark.parametrize("args", [[], ["ten"], ["10x"], ["1.2.3"], ["-1"], ["1m30s"], ["."]])
def test_durations_busybox_refuses(args: list[str]) -> None:
    assert sleep_seconds(args) is None


def _job(*words: str) -> object:
    job = protos.message_class("api.Job")()
    job.pod_spec.containers.add(name="main", image="busybox:1.36", command=list(words))
    return job


def test_a_sleeping_container_runs_as_long_as_it_sleeps() -> None:
    assert ending(_job("sleep", "10s")).runs_for == 10.0
    assert ending(_job("sh", "-c", "sleep 1m 30s")).runs_for == 90.0
    assert ending(_job("sleep", "1")).runs_for == 0.0 < SHORT_S  # short work is compressed to nothing
    refused = ending(_job("sleep", "soon"))
    assert refused.exit_code == 1  # busybox prints its usage and exits 1


def test_a_pod_kubernetes_refuses() -> None:
    """Pods the cluster will not create (validated there, not at submit, from v0.4.44)."""
    assert ending(protos.message_class("api.Job")()).pod_error == "spec.containers: Required value"
    no_image = _job("true")
    no_image.pod_spec.containers[0].image = ""  # type: ignore[attr-defined]
    assert ending(no_image).pod_error == "spec.containers[0].image: Required value"
    assert ending(_job("true")).pod_error == ""
