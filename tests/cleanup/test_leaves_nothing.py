"""A run leaves nothing: after the whole suite, or after a SIGINT at any moment, the server holds none of it.

The proof reads the reference server's own state (its store, in this process): every
queue, every job that is not terminal, every retry policy. The server starts empty, so
anything there afterwards is the run's leftover, whether or not the run knew it made it
(a refused-on-one-release probe that a flavour accepted, an upsert, a submit cut short).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.checks import catalogue, select
from conformance.context import RunContext
from conformance.credentials.kerberos import KerberosRealm
from conformance.credentials.openid import OpenIDProvider
from conformance.embedded import ADMIN, LOW, EmbeddedEnvironment
from conformance.runner import run_check
from conformance.settings import RunSettings
from reference_server.background import BackgroundServer
from reference_server.config import ServerConfig
from reference_server.store import Store

# flavour -> the era it is judged as
FLAVOURS = {"contract": "armada-2026", "armada-2023": "armada-2023", "armada-2026": "armada-2026"}
SMALL = {"events": 200, "jobs": 20, "watchers": 2, "batch_size": 5}


def leftovers(store: Store) -> dict[str, list[str]]:
    """What the server holds: queues, non-terminal jobs (by job set), retry policies."""
    return {
        "queues": sorted(store.queues),
        "non-terminal job sets": sorted({f"{r.queue}/{r.job_set_id}" for r in store.jobs.values() if not r.terminal}),
        "retry policies": sorted(store.retry_policies.policies),
    }


NOTHING: dict[str, list[str]] = {"queues": [], "non-terminal job sets": [], "retry policies": []}


@pytest.fixture(scope="module")
def realm() -> Iterator[KerberosRealm]:
    with KerberosRealm(users=(ADMIN, LOW)) as running:
        yield running


@pytest.fixture(scope="module")
def provider() -> Iterator[OpenIDProvider]:
    with OpenIDProvider() as running:
        yield running


@pytest.mark.parametrize("flavour", sorted(FLAVOURS))
def test_the_whole_suite_leaves_nothing_on_any_flavour(
    flavour: str, realm: KerberosRealm, provider: OpenIDProvider
) -> None:
    era = FLAVOURS[flavour]
    kerberos = flavour != "armada-2026"
    with EmbeddedEnvironment(
        flavour=flavour,
        kerberos=kerberos,
        realm=realm if kerberos else None,
        provider=provider,
        server={"queue_cache_s": 0.4},
    ) as environment:
        ctx = RunContext(environment.target(era), settings=RunSettings.given(**SMALL))
        try:
            for check in select(catalogue(), era):
                run_check(check, ctx)
            assert ctx.ledger, "the run sent nothing that could create: the proof proves nothing"
        finally:
            problems = ctx.cleanup()
            ctx.close()
        store = environment.server.server.store
        assert leftovers(store) == NOTHING
    assert problems == [] and not ctx.ledger


@pytest.mark.parametrize(
    ("flavour", "after_s"),
    [("contract", 0.3), ("contract", 1.0), ("armada-2023", 1.0), ("armada-2026", 1.0), ("armada-2026", 2.5)],
)
def test_a_run_interrupted_early_leaves_nothing(tmp_path: Path, flavour: str, after_s: float) -> None:
    """SIGINT ``after_s`` into a whole run (the first checks create queues, upsert, submit): nothing stays."""
    with BackgroundServer(ServerConfig(flavour=flavour)) as server:
        target = tmp_path / "target.toml"
        target.write_text(
            f'[target]\ngrpc = "{server.grpc_target}"\nrest = "{server.rest_url}"\nprofile = "{FLAVOURS[flavour]}"\n'
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "conformance.cli", "run", "--target", str(target), "--report-dir", "r"],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "CI": "true"},
        )
        assert process.stderr is not None
        first = process.stderr.readline()
        assert first.startswith("[1/"), first + process.stderr.read()
        time.sleep(after_s)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=180)
        assert process.returncode == 130, out + err
        assert leftovers(server.server.store) == NOTHING, out + err
    assert "Traceback" not in err
