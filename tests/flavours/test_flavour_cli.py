"""``python -m reference_server --flavour ...`` starts each flavour; an era's impossible set-up is refused."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from reference_server.flavours import NAMES

COMMAND = [sys.executable, "-m", "reference_server"]


@pytest.mark.parametrize("flavour", [*NAMES, "v0.8.7"])
def test_starts_as_each_flavour(flavour: str) -> None:
    process = subprocess.Popen(
        [*COMMAND, "--flavour", flavour, "--grpc-port", "0", "--http-port", "0", "--queue-cache-s", "0.5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline() if process.stdout else ""
        assert "ready" in line and f"({flavour} flavour" in line, line
        rest = line.split("REST ", 1)[1].split(";", 1)[0]
        missing = requests.get(f"{rest}/v1/nowhere", timeout=10)
        assert missing.status_code == 404
        assert missing.headers["Content-Type"].startswith("text/plain" if flavour != "contract" else "application/json")
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    assert process.returncode == 0


def test_config_file_flavour_and_kerberos_refusal(tmp_path: Path) -> None:
    config = tmp_path / "server.toml"
    config.write_text(
        '[server]\nflavour = "armada-2026"\n[auth]\norder = ["kerberos"]\n'
        '[auth.kerberos]\nkeytab = "/nowhere"\nservice_principal = "HTTP/x@Y"\n'
    )
    result = subprocess.run(
        [*COMMAND, "--config", str(config)], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 2 and "kerberos is not offered by flavour armada-2026" in result.stderr
    assert "Traceback" not in result.stderr


def test_print_swagger_of_a_flavour() -> None:
    result = subprocess.run(
        [*COMMAND, "--flavour", "armada-2026", "--print-swagger"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    document = json.loads(result.stdout)
    assert "/v1/queue/{name}/info" not in document["paths"]
    assert document["definitions"]["runtimeStreamError"]["properties"].keys() >= {"grpcCode", "httpStatus"}


def test_any_release_is_a_flavour_derived_from_its_features() -> None:
    from reference_server.flavours import JsonDialect, TimestampForm, flavour

    mid, seed = flavour("v0.8.7"), flavour("armada-2023")
    assert mid.release.name == "v0.8.7" and mid.has("queue_upsert") and not mid.has("cordon")
    assert mid.timestamps is TimestampForm.OBJECT and seed.timestamps is TimestampForm.GO_TIME
    assert mid.json is JsonDialect.GO and flavour("contract").json is JsonDialect.PROTO3
    assert "kerberos" not in mid.auth_schemes and "kerberos" in seed.auth_schemes
    assert mid.offers("api.QueueService") and not seed.offers("api.QueueService")
    assert not mid.offers("api.Submit", "GetQueueInfo") and seed.offers("api.Submit", "GetQueueInfo")
    assert not flavour("v0.4.30").offers_rest("api.Jobs", "GetJobStatus") and flavour("v0.4.30").offers("api.Jobs")
    assert "api.Queue.cordoned" in mid.swagger_missing_fields and not flavour("armada-2026").swagger_missing_fields
    with pytest.raises(ValueError, match="unknown flavour 'v9'"):
        flavour("v9")


def test_an_unknown_flavour_is_one_line_exit_2() -> None:
    done = subprocess.run([*COMMAND, "--flavour", "armada-2028"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "unknown flavour 'armada-2028'" in done.stderr and "Traceback" not in done.stderr
