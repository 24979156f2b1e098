"""The target file's ``[jobs]`` table: the job a real cluster runs, the one template of every job the suite submits.

A cluster decides what a job must look like: the namespace it may run in, an image it
can pull (a private registry), a priority class it knows, node selectors and
tolerations to land on its nodes, labels and annotations its policies ask for. A
suite that hard-codes ``default`` and ``busybox`` fails every job check there for its
own reason. So each job the suite submits (short, long-running or failing) is made
from this template; the defaults are the suite's old fixed job.

Example::

    [jobs]
    namespace = "default"
    image = "busybox:1.36"
    command = ["true"]               # the short job: ends at once, successfully
    args = []
    long_command = ["sleep", "600"]  # a job that runs until the run cancels it
    fail_command = ["false"]         # a job whose container exits non-zero
    priority = 1
    priority_class = ""              # podSpec priorityClassName ("": the cluster's default)
    resources = { cpu = "100m", memory = "64Mi" }   # requests and limits
    node_selector = { "pool" = "batch" }
    tolerations = [{ key = "dedicated", operator = "Equal", value = "batch", effect = "NoSchedule" }]
    labels = { "team" = "platform" }
    annotations = { "cost-centre" = "ci" }
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

KEYS = frozenset(
    {
        "namespace",
        "image",
        "command",
        "args",
        "long_command",
        "fail_command",
        "priority",
        "priority_class",
        "resources",
        "node_selector",
        "tolerations",
        "labels",
        "annotations",
    }
)
TOLERATION_KEYS = frozenset({"key", "operator", "value", "effect", "tolerationSeconds"})
KINDS = ("short", "long", "fail")


class JobsError(ValueError):
    """The ``[jobs]`` table is unusable; the message is one line naming the key."""


@dataclass(frozen=True)
class JobTemplate:
    """What every submitted job is made of (``item`` builds one JobSubmitRequestItem)."""

    namespace: str = "default"
    image: str = "busybox:1.36"
    command: tuple[str, ...] = ("true",)
    args: tuple[str, ...] = ()
    long_command: tuple[str, ...] = ("sleep", "600")
    fail_command: tuple[str, ...] = ("false",)
    priority: float = 1
    priority_class: str = ""
    resources: Mapping[str, str] = field(default_factory=lambda: {"cpu": "100m", "memory": "64Mi"})
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: tuple[Mapping[str, Any], ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)

    def item(self, kind: str = "short", **fields: Any) -> dict[str, Any]:
        """A JobSubmitRequestItem as real Armada's REST gateway takes it (quantities as strings).

        ``kind``: ``short`` (ends at once), ``long`` (runs until cancelled) or ``fail``.
        ``fields`` are set on the item (e.g. ``externalJobUri``); ``labels`` merge with the template's.
        """
        words = {"short": (self.command, self.args), "long": (self.long_command, ()), "fail": (self.fail_command, ())}
        command, args = words[kind]
        container: dict[str, Any] = {
            "name": "main",
            "image": self.image,
            "command": list(command),
            "resources": {"requests": dict(self.resources), "limits": dict(self.resources)},
        }
        if args:
            container["args"] = list(args)
        pod: dict[str, Any] = {"containers": [container]}
        if self.priority_class:
            pod["priorityClassName"] = self.priority_class
        if self.node_selector:
            pod["nodeSelector"] = dict(self.node_selector)
        if self.tolerations:
            pod["tolerations"] = [dict(t) for t in self.tolerations]
        item: dict[str, Any] = {"priority": self.priority, "namespace": self.namespace, "podSpec": pod}
        labels = {**self.labels, **fields.pop("labels", {})}
        if labels:
            item["labels"] = labels
        if self.annotations:
            item["annotations"] = dict(self.annotations)
        return copy.deepcopy({**item, **fields})

    def describe(self) -> dict[str, Any]:
        """For reports: what the run's jobs were (no secrets live here)."""
        return {"namespace": self.namespace, "image": self.image, "priority_class": self.priority_class or None}


DEFAULT_JOBS = JobTemplate()


def load_jobs(table: Any, source: str) -> JobTemplate:
    """The ``[jobs]`` table as a template; unknown keys and wrong types are a ``JobsError``."""
    if table is None:
        return DEFAULT_JOBS
    if not isinstance(table, Mapping):
        raise JobsError(f"{source}: [jobs] must be a table")
    unknown = sorted(set(table) - KEYS)
    if unknown:
        raise JobsError(f"{source}: unknown key {unknown[0]!r} in [jobs] (known: {', '.join(sorted(KEYS))})")
    values: dict[str, Any] = {}
    for key in ("namespace", "image", "priority_class"):
        if key in table:
            values[key] = _text(table[key], key, source, empty_ok=key == "priority_class")
    for key in ("command", "args", "long_command", "fail_command"):
        if key in table:
            values[key] = _words(table[key], key, source, empty_ok=key == "args")
    if "priority" in table:
        value = table["priority"]
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise JobsError(f"{source}: [jobs] priority must be a number >= 0, got {value!r}")
        values["priority"] = value
    for key in ("resources", "node_selector", "labels", "annotations"):
        if key in table:
            values[key] = _strings(table[key], key, source)
    if "resources" in values and not values["resources"]:
        raise JobsError(f'{source}: [jobs] resources must name at least one resource (e.g. cpu = "100m")')
    if "tolerations" in table:
        values["tolerations"] = _tolerations(table["tolerations"], source)
    return JobTemplate(**values)


def _text(value: Any, key: str, source: str, empty_ok: bool = False) -> str:
    if not isinstance(value, str) or not (value or empty_ok):
        raise JobsError(f"{source}: [jobs] {key} must be a non-empty string, got {value!r}")
    return value


def _words(value: Any, key: str, source: str, empty_ok: bool = False) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(w, str) for w in value) or not (value or empty_ok):
        raise JobsError(f'{source}: [jobs] {key} must be a list of strings (e.g. ["sleep", "600"]), got {value!r}')
    return tuple(value)


def _strings(value: Any, key: str, source: str) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise JobsError(f'{source}: [jobs] {key} must be a table of strings (e.g. {{ "a" = "b" }}), got {value!r}')
    return dict(value)


def _tolerations(value: Any, source: str) -> tuple[dict[str, Any], ...]:
    if not isinstance(value, list) or not all(isinstance(t, Mapping) for t in value):
        raise JobsError(f"{source}: [jobs] tolerations must be a list of tables, got {value!r}")
    for toleration in value:
        unknown = sorted(set(toleration) - TOLERATION_KEYS)
        if unknown:
            raise JobsError(
                f"{source}: unknown key {unknown[0]!r} in [jobs] tolerations "
                f"(known: {', '.join(sorted(TOLERATION_KEYS))})"
            )
    return tuple(dict(t) for t in value)
