"""A run leaves nothing: after a SIGINT at any moment, the server holds none of it.

The proof reads the reference server's own state (``tests/leftovers.py``). That the
whole suite, run to its end, leaves nothing on any flavour is proven by the same run
that proves the flavour fails what its shipped file predicts
(``tests/eras/test_flavours.py``): one whole run per flavour serves both proofs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from leftovers import NOTHING, leftovers

from reference_server.background import BackgroundServer
from reference_server.config import ServerConfig

# flavour -> the era it is judged as
FLAVOURS = {"contract": "armada-2026", "armada-2023": "armada-2023", "armada-2026": "armada-2026"}


@pytest.mark.parametrize(
    ("flavour", "after_s"),
    [("contract", 0.3), ("contract", 1.0), ("armada-2023", 0.3), ("armada-2026", 1.0), ("armada-2026", 2.5)],
)
def test_a_run_interrupted_early_leaves_nothing(tmp_path: Path, flavour: str, after_s: float) -> None:
    """SIGINT ``after_s`` into a whole run (the first checks create queues, upsert, submit): nothing stays."""
    with BackgroundServer(ServerConfig(flavour=flavour)) as server:
        target = tmp_path / "target.toml"
        target.write_text(
            f'[target]\ngrpc = "{server.grpc_target}"\nrest = "{server.rest_url}"\nprofile = "{FLAVOURS[flavour]}"\n'
        )
        process = subprocess.Popen(
            # a replay fill long enough that the run is still going when the signal comes
            [
                sys.executable,
                "-m",
                "conformance.cli",
                "run",
                "--target",
                str(target),
                "--events",
                "200000",
                "--report-dir",
                "r",
            ],
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
        # 130: stopped by the signal; a run over before it came (0 / 1) must leave nothing all the same
        assert process.returncode in (130, 0, 1), out + err
        assert leftovers(server.server.store) == NOTHING, out + err
    assert "Traceback" not in err
