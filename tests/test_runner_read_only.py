"""--read-only sends nothing that creates, changes, cancels or deletes: proven on a recording server.

The whole catalogue runs read-only against the reference server whose services record
every call that got past authentication (REST calls included: the gateway calls the
gRPC server). No state-changing method may appear, and every mutating check is skipped.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from typing import Any

from conformance.checks import catalogue, changes_state
from conformance.embedded import EmbeddedEnvironment
from conformance.options import RunOptions
from conformance.results import Outcome
from conformance.runner import run_suite
from reference_server.background import BackgroundServer


class RecordingServices:
    """The server's services, with every method call written down before it runs."""

    def __init__(self, services: Any) -> None:
        self._services = services
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._services, name)
        if not callable(target) or name.startswith("_"):
            return target
        if inspect.isasyncgenfunction(target):
            return self._stream(name, target)
        return self._unary(name, target)

    def _unary(self, name: str, target: Callable[..., Any]) -> Callable[..., Any]:
        async def call(*args: Any) -> Any:
            self.calls.append(name)
            return await target(*args)

        return call

    def _stream(self, name: str, target: Callable[..., AsyncIterator[Any]]) -> Callable[..., AsyncIterator[Any]]:
        async def call(*args: Any) -> AsyncIterator[Any]:
            self.calls.append(name)
            async for item in target(*args):
                yield item

        return call


def test_read_only_sends_no_state_changing_call() -> None:
    environment = EmbeddedEnvironment(kerberos=False, oidc=False)
    server = BackgroundServer(environment.server_config())
    recording = RecordingServices(server.server.services)
    server.server.services = recording
    with server:
        environment.server = server
        report = run_suite(environment.target(), RunOptions(read_only=True, report_dir=None))
    changing = sorted({name for name in recording.calls if changes_state(f"Submit/{name}")})
    assert recording.calls, "the recording saw no call at all"
    assert changing == []
    outcomes = {r.id: r.outcome for r in report.results}
    mutating = {c.id for c in catalogue() if c.mutating}
    assert {outcomes[i] for i in mutating} == {Outcome.SKIPPED}
    assert Outcome.PASSED in set(outcomes.values())
