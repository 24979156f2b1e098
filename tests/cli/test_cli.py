"""The `armada-conformance` command as a user meets it: exit codes, one-line errors, reports.

Runs the real command in a subprocess against the embedded set-up (which starts only
what the selection needs: no KDC without AUTH checks), a reference server started
here, or one `serve` environment (KDC and OpenID provider included) that the module's
tests share, narrowed with --only so each run takes seconds.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from reference_server.background import BackgroundServer
from reference_server.config import ServerConfig

FAST = "SEMANTICS-QueueCreateDelete,SEMANTICS-CancelJobs,PARITY-GetQueue"
# The no-cancelled-event fault makes SEMANTICS-CancelJobs wait out the call timeout for an event that never comes.
WAIT_LESS = ("--call-timeout", "2")


def cli(*args: str, cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "CI": "true"},
    )


def only_report(report_dir: Path) -> dict:
    [path] = list(report_dir.glob("*/report.json"))
    return json.loads(path.read_text())


def test_run_on_the_embedded_server_passes_and_writes_every_format(tmp_path: Path) -> None:
    done = cli("run", "--only", FAST, "--report-dir", str(tmp_path / "r"), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    folder = next((tmp_path / "r").iterdir())
    assert sorted(p.name for p in folder.iterdir()) == ["junit.xml", "report.html", "report.json", "summary.md"]
    report = only_report(tmp_path / "r")
    assert {r["id"]: r["outcome"] for r in report["results"]} == {i: "passed" for i in FAST.split(",")}
    assert "[1/3]" in done.stderr and "PASS" in done.stdout  # progress lines in CI mode, verdict at the end


def test_a_fault_fails_the_gate_and_a_known_failure_file_turns_it_green(tmp_path: Path) -> None:
    failing = cli(
        "run",
        "--only",
        FAST,
        "--fault",
        "no-cancelled-event",
        *WAIT_LESS,
        "--report-dir",
        str(tmp_path / "a"),
        cwd=tmp_path,
    )
    assert failing.returncode == 1
    assert "SEMANTICS-CancelJobs" in failing.stdout + failing.stderr
    known = tmp_path / "known.toml"
    known.write_text('[[known_failure]]\nid = "SEMANTICS-CancelJobs"\nreason = "tracked in TICKET-1"\n')
    tolerated = cli(
        "run",
        "--only",
        FAST,
        "--fault",
        "no-cancelled-event",
        *WAIT_LESS,
        "--known-failures",
        str(known),
        "--report-dir",
        str(tmp_path / "b"),
        cwd=tmp_path,
    )
    assert tolerated.returncode == 0, tolerated.stdout + tolerated.stderr
    outcomes = {r["id"]: r["outcome"] for r in only_report(tmp_path / "b")["results"]}
    assert outcomes["SEMANTICS-CancelJobs"] == "expected failure"


def test_a_baseline_turns_a_new_failure_into_a_regression(tmp_path: Path) -> None:
    assert cli("run", "--only", FAST, "--report-dir", str(tmp_path / "base"), cwd=tmp_path).returncode == 0
    [baseline] = list((tmp_path / "base").glob("*/report.json"))
    known = tmp_path / "known.toml"
    known.write_text('[[known_failure]]\nid = "SEMANTICS-QueueCreateDelete"\nreason = "listed"\n')
    done = cli(
        "run",
        "--only",
        FAST,
        "--fault",
        "duplicate-queue-accepted",
        "--baseline",
        str(baseline),
        "--report-dir",
        str(tmp_path / "now"),
        cwd=tmp_path,
    )
    assert done.returncode == 1
    summary = next((tmp_path / "now").glob("*/summary.md")).read_text()
    assert "SEMANTICS-QueueCreateDelete" in summary
    stored = only_report(tmp_path / "now")  # the report says what it was gated with, and what regressed
    assert stored["run"]["baseline"]["path"] == str(baseline) and stored["run"]["baseline"]["tolerance"] == 0.2
    [record] = stored["regressions"]
    assert record["id"] == "SEMANTICS-QueueCreateDelete" and record["baseline"] == str(baseline)
    junit = next((tmp_path / "now").glob("*/junit.xml")).read_text()
    assert 'failures="0"' not in junit and '<property name="baseline"' in junit


@pytest.mark.parametrize(
    ("target_text", "expected"),
    [
        ('[target]\ngrpc = "127.0.0.1:1"\n', "cannot reach the gRPC endpoint 127.0.0.1:1"),
        ('[target]\ngrpc = "nonsense"\n', "grpc must be host:port"),
        ("[target\n", "is not valid TOML"),
        ('[target]\ngrpc = "127.0.0.1:1"\ntls = { ca_file = "missing.pem" }\n', "ca_file"),
        (
            '[target]\ngrpc = "127.0.0.1:1"\n[auth.basic]\nusername = "a"\npassword = "inline"\n',
            "put secrets in password_env",
        ),
        (
            '[target]\ngrpc = "127.0.0.1:1"\n[auth.basic]\nusername = "a"\npassword_env = "NO_SUCH_VARIABLE_X"\n',
            "NO_SUCH_VARIABLE_X",
        ),
        ('[target]\ngrpc = "127.0.0.1:1"\nprofil = "current"\n', "unknown key 'profil' in [target]"),
        ('[target]\ngrpc = "127.0.0.1:1"\ntimout = 3\n', "unknown key 'timout' in [target]"),
        ('[target]\ngrpc = "http://127.0.0.1:1"\n', "grpc is host:port, not a URL: write grpc = '127.0.0.1:1'"),
        ('[target]\ngrpc = "127.0.0.1:1"\ntimeout = "10"\n', "write timeout = 10, without quotes"),
        ('[target]\nrest = "http://127.0.0.1:1"\n', "[target] grpc is missing"),
    ],
)
def test_an_unusable_target_gives_one_line_and_exit_2(tmp_path: Path, target_text: str, expected: str) -> None:
    target = tmp_path / "target.toml"
    target.write_text(target_text)
    done = cli("run", "--target", str(target), cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], done.stderr
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--rest", "http://does-not-exist.example:9"], "--rest http://does-not-exist.example:9 needs --grpc"),
        (["--grpc", "127.0.0.1:1", "-H", "x-tenant blue"], "-H / --header 'x-tenant blue'"),
    ],
)
def test_a_partly_given_target_or_a_bad_flag_is_refused_naming_the_flag(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    """--rest alone once judged the embedded server and passed; a -H mistake was blamed on the target file."""
    done = cli("run", *args, "--only", "SURFACE-Event.Health-GRPC", cwd=tmp_path, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], done.stderr


def test_tls_against_a_plaintext_server_is_one_clear_line(tmp_path: Path) -> None:
    with BackgroundServer(ServerConfig()) as server:
        target = tmp_path / "target.toml"
        target.write_text(f'[target]\ngrpc = "{server.grpc_target}"\ntls = {{ insecure = true }}\n')
        done = cli("run", "--target", str(target), cwd=tmp_path, timeout=60)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_a_ca_file_against_plaintext_and_rest_at_the_grpc_port_are_one_actionable_line(tmp_path: Path) -> None:
    """No gRPC C-core log line before the refusal, no raw BadStatusLine bytes."""
    sys.path.insert(0, str(Path(__file__).parents[1] / "transport"))
    from throwaway_ca import Authority

    (tmp_path / "ca").mkdir()
    ca = Authority(tmp_path / "ca")
    with BackgroundServer(ServerConfig()) as server:
        port = server.grpc_target.rsplit(":", 1)[1]
        tls = tmp_path / "tls.toml"
        tls.write_text(f'[target]\ngrpc = "{server.grpc_target}"\ntls = {{ ca_file = "{ca.ca_file}" }}\n')
        rest = tmp_path / "rest.toml"
        rest.write_text(f'[target]\ngrpc = "{server.grpc_target}"\nrest = "http://127.0.0.1:{port}"\n')
        done = [cli("run", "--target", str(t), cwd=tmp_path, timeout=60) for t in (tls, rest)]
    expected = ["(WRONG_VERSION_NUMBER): the server does not speak TLS there", "not HTTP/1.1 (a gRPC or HTTP/2 port?)"]
    for run, words in zip(done, expected, strict=True):
        assert run.returncode == 2
        [line] = run.stderr.strip().splitlines()
        assert words in line and "\\x00" not in line and "ssl_transport_security" not in line


def test_a_real_target_keeps_what_it_did_not_create(tmp_path: Path) -> None:
    """Point the suite at a server holding someone's queue and jobs; afterwards they are untouched
    and nothing the run created is left behind."""
    from conformance.transport.grpc_client import GrpcClient

    with BackgroundServer(ServerConfig()) as server, GrpcClient(server.grpc_target) as client:
        assert client.call("api.Submit/CreateQueue", {"name": "precious", "priorityFactor": 1}).ok
        item = {
            "podSpec": {
                "containers": [{"name": "c", "image": "x", "resources": {"requests": {"cpu": {"string": "100000"}}}}]
            }
        }
        assert client.call(
            "api.Submit/SubmitJobs", {"queue": "precious", "jobSetId": "theirs", "jobRequestItems": [item]}
        ).ok
        before = [
            m.id for m in client.stream("api.Event/GetJobSetEvents", {"queue": "precious", "id": "theirs"}).messages
        ]
        target = tmp_path / "target.toml"
        target.write_text(
            f'[target]\ngrpc = "{server.grpc_target}"\nrest = "{server.rest_url}"\n'
            'profile = "contract"\nprefix = "ci-check"\n'  # the server is the contract flavour: judged as it
        )
        done = cli(
            "run",
            "--target",
            str(target),
            "--only",
            "SEMANTICS,PARITY",
            "--report-dir",
            str(tmp_path / "r"),
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        queues = [
            m.queue.name for m in client.stream("api.Submit/GetQueues", {}).messages if m.WhichOneof("event") == "queue"
        ]
        after = [
            m.id for m in client.stream("api.Event/GetJobSetEvents", {"queue": "precious", "id": "theirs"}).messages
        ]
    assert queues == ["precious"]
    assert after == before


@dataclass
class Served:
    """One `armada-conformance serve` (reference server, KDC, OpenID provider) shared by the module's tests."""

    folder: Path
    env: dict[str, str]

    @property
    def target(self) -> str:
        return str(self.folder / "t.toml")

    def run(self, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "conformance.cli", "run", "--target", self.target, *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=180,
            env={**self.env, "CI": "true"},
        )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Started once; stopping it with SIGTERM must be clean (exit 0, "stopped"), checked at the end."""
    folder = tmp_path_factory.mktemp("serve")
    process = subprocess.Popen(
        [sys.executable, "-m", "conformance.cli", "serve", "--write-target", "t.toml"],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if line.startswith("ready:") or not line:
                break
        assert lines[-1].startswith("ready:"), "".join(lines) + process.stderr.read()
        env = dict(os.environ)
        for line in lines:
            if line.startswith("export "):
                key, value = line.split("#")[0].strip()[len("export ") :].split("=", 1)
                env[key] = value.strip("'")
        yield Served(folder, env)
    finally:
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=30)
    assert process.returncode == 0 and "stopped" in out, out


def test_serve_prints_credentials_and_writes_a_target_the_run_uses(served: Served, tmp_path: Path) -> None:
    done = served.run(
        "--only",
        "SEMANTICS-QueueCreateDelete,AUTH-BASIC-*,AUTH-OIDC-VALID-*,AUTH-KERBEROS-VALID-*",
        "--report-dir",
        "r",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    outcomes = {r["id"]: r["outcome"] for r in only_report(tmp_path / "r")["results"]}
    assert outcomes["AUTH-BASIC-VALID-GRPC"] == outcomes["AUTH-OIDC-VALID-REST"] == "passed"


def test_read_only_skips_every_mutating_check(served: Served, tmp_path: Path) -> None:
    done = served.run("--read-only", "--only", "SEMANTICS,AUTH-BASIC-*", "--report-dir", "r", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    outcomes = {r["id"]: r["outcome"] for r in only_report(tmp_path / "r")["results"]}
    assert outcomes["SEMANTICS-CancelJobs"] == outcomes["AUTH-BASIC-VALID-GRPC"] == "skipped"
    assert outcomes["SEMANTICS-QueueNotFound"] == outcomes["AUTH-BASIC-BADPW-REST"] == "passed"


def test_list_checks_json_and_report_rerender(served: Served, tmp_path: Path) -> None:
    listing = cli("list-checks", "--json", cwd=tmp_path)
    rows = json.loads(listing.stdout)
    assert {"SEMANTICS-CancelJobs", "PARITY-GetQueue"} <= {r["id"] for r in rows}
    assert all(r["requirement"] and r["category"] and r["severity"] for r in rows)
    assert (
        served.run("--only", "SEMANTICS-QueueNotFound", "--report-dir", str(tmp_path / "r"), cwd=tmp_path).returncode
        == 0
    )
    [stored] = list((tmp_path / "r").glob("*/report.json"))
    rendered = cli("report", str(stored), "--out", str(tmp_path / "again"), cwd=tmp_path)
    assert rendered.returncode == 0, rendered.stderr
    assert (
        "SEMANTICS-QueueNotFound"
        in (tmp_path / "again" / "summary.md").read_text() + (tmp_path / "again" / "report.html").read_text()
    )
    broken = tmp_path / "broken.json"
    broken.write_text("{}")
    failed = cli("report", str(broken), cwd=tmp_path)
    assert failed.returncode == 2 and len(failed.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--only", "AUHT"], "AUHT"),
        (["--profile", "current", "--only", "SEMANTICS-QueueInfoCounts"], "lacks get_queue_info"),
        (["--baseline", "missing.json"], "baseline missing.json does not exist"),
        (["--events", "1"], "--events 1"),
        (["--fault", "no-such-fault"], "no-such-fault"),
        (["--known-failures", "known.toml"], "unknown key(s) ['ticket']"),
    ],
)
def test_an_unusable_configuration_is_exit_2_before_anything_runs(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    (tmp_path / "known.toml").write_text('[[known_failure]]\nid = "X"\nreason = "y"\nticket = "T-1"\n')
    done = cli("run", *args, "--report-dir", str(tmp_path / "r"), cwd=tmp_path, timeout=60)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], done.stderr
    assert done.stdout == "" and not (tmp_path / "r").exists()


def test_the_verdict_printed_is_this_runs_never_an_earlier_one(tmp_path: Path) -> None:
    assert cli("run", "--only", "SEMANTICS-QueueNotFound", "--report-dir", "r", cwd=tmp_path).returncode == 0
    failing = cli(
        "run",
        "--only",
        "SEMANTICS-CancelJobs",
        "--fault",
        "no-cancelled-event",
        *WAIT_LESS,
        "--report-dir",
        "r",
        cwd=tmp_path,
    )
    assert failing.returncode == 1
    assert "FAIL" in failing.stdout and "PASS" not in failing.stdout
    broken = cli("run", "--fault", "no-such-fault", "--report-dir", "r", cwd=tmp_path)
    assert broken.returncode == 2 and broken.stdout == ""
    assert len(list((tmp_path / "r").glob("*/report.json"))) == 2


def test_known_failures_matching_nothing_are_named_on_stderr(tmp_path: Path) -> None:
    known = tmp_path / "known.toml"
    known.write_text('[[known_failure]]\nid = "SEMANTICS-CancelJob"\nreason = "typo of CancelJobs"\n')
    done = cli(
        "run", "--only", "SEMANTICS-QueueNotFound", "--known-failures", str(known), "--report-dir", "r", cwd=tmp_path
    )
    assert done.returncode == 0
    assert "'SEMANTICS-CancelJob' matches no check" in done.stderr
    assert only_report(tmp_path / "r")["unmatched_known_failures"] == ["SEMANTICS-CancelJob"]


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_the_run_cleans_up_and_marks_the_report(tmp_path: Path, sig: int, status: int) -> None:
    """Stopped mid-run (during the THROUGHPUT replay fill): exit 130/143, report marked, no queue left behind."""
    from conformance.transport.grpc_client import GrpcClient

    with BackgroundServer(ServerConfig()) as server, GrpcClient(server.grpc_target) as client:
        target = tmp_path / "target.toml"
        target.write_text(f'[target]\ngrpc = "{server.grpc_target}"\nrest = "{server.rest_url}"\nprofile = "current"\n')
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "conformance.cli",
                "run",
                "--target",
                str(target),
                "--only",
                "SEMANTICS-QueueNotFound,THROUGHPUT",
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
        first = process.stderr.readline()
        assert first.startswith("[1/"), first + process.stderr.read()
        time.sleep(1.0)  # into the replay fill, which creates a queue and jobs
        process.send_signal(sig)
        out, err = process.communicate(timeout=120)
        queues = [
            m.queue.name for m in client.stream("api.Submit/GetQueues", {}).messages if m.WhichOneof("event") == "queue"
        ]
    assert process.returncode == status, out + err
    report = only_report(tmp_path / "r")
    assert report["interrupted"] == signal.Signals(sig).name and report["verdict"] == "interrupted"
    assert 1 <= len(report["results"]) < 12
    assert queues == []
    assert "INTERRUPTED" in out and "Traceback" not in err


def test_refused_credentials_are_one_line_naming_scheme_and_user_before_any_check(
    served: Served, tmp_path: Path
) -> None:
    """A wrong password once gave 92 failed checks, each 'RuntimeError: could not create a queue'."""
    done = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", "--target", served.target, "--only", "SEMANTICS"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**served.env, "CI": "true", "ARMADA_PW": "wrongpw"},
    )
    assert done.returncode == 2 and done.stdout == ""
    [line] = done.stderr.strip().splitlines()
    assert "refuses the basic credentials of user 'alice'" in line and "UNAUTHENTICATED" in line
    assert "wrongpw" not in line and "Error" not in line.replace("UNAUTHENTICATED", "")


def test_a_missing_ccache_says_to_kinit(served: Served, tmp_path: Path) -> None:
    """GSSAPI's raw "Major (851968): Unspecified GSS failure ..." becomes what to do."""
    target = tmp_path / "t.toml"
    target.write_text(
        re.sub(r'\nccache = "[^"]*"', '\nccache = "/nonexistent/ccache"', Path(served.target).read_text(), count=1)
    )
    done = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", "--target", str(target), "--only", "SEMANTICS"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**served.env, "CI": "true"},
    )
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert "ccache /nonexistent/ccache does not exist: run kinit first" in line and "Major (" not in line


def test_a_run_writes_nothing_in_the_working_directory_but_its_reports(tmp_path: Path) -> None:
    """The schemathesis check's hypothesis used to leave .hypothesis/ where the command ran."""
    command = ["run", "--only", "SWAGGER-Schemathesis", "--max-examples", "1", "--fuzz-budget", "3"]
    done = subprocess.run(
        [sys.executable, "-m", "conformance.cli", *command, "--report-dir", "r"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "CI": "true", "XDG_CACHE_HOME": str(tmp_path / "cache")},
    )
    assert done.returncode in (0, 1), done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "r"]
