"""Entry points: ``nox -s conformance`` (the main job) and ``nox -s tests`` (lint, types, then the
project's tests; ``nox -s lint`` is the first half alone).

Each session installs what it needs, system packages included when run as root on
Debian (the MIT Kerberos KDC and headers for gssapi, Chromium for the HTML report
test), so a fresh machine needs nothing but Python 3.11 and nox.
"""

from __future__ import annotations

import os
import shutil

import nox

nox.options.sessions = ["conformance"]
nox.options.reuse_existing_virtualenvs = True
nox.options.default_venv_backend = "venv"

PYTHON = "3.11"
EXTRAS = ".[kerberos,test]"
# Debian packages and a command that shows each is installed.
SYSTEM_PACKAGES = {
    "krb5-kdc": "krb5kdc",
    "krb5-admin-server": "kadmind",
    "libkrb5-dev": "krb5-config",
    "krb5-user": "kinit",
}
BROWSER_PACKAGES = {"chromium": "chromium"}


def ensure_system_packages(session: nox.Session, packages: dict[str, str]) -> None:
    """apt-get install what is missing (as root), or say exactly what to install."""
    missing = [
        pkg
        for pkg, command in packages.items()
        if not (shutil.which(command) or os.path.exists(f"/usr/sbin/{command}"))
    ]
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        session.error(f"missing system packages: {' '.join(missing)} (install them, e.g. apt-get install)")
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    session.run("apt-get", "update", "-qq", external=True, env=env)
    session.run("apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing, external=True, env=env)


def install(session: nox.Session, browser: bool = False) -> None:
    ensure_system_packages(session, {**SYSTEM_PACKAGES, **(BROWSER_PACKAGES if browser else {})})
    session.install("-q", "-e", EXTRAS)


@nox.session(python=PYTHON)
def conformance(session: nox.Session) -> None:
    """Run the conformance suite (embedded reference server unless `-- --target FILE`) and write reports."""
    install(session)
    session.run("armada-conformance", "run", *session.posargs)


# What `lint` checks (mypy reads its files and settings from pyproject.toml's [tool.mypy]).
LINT_STEPS = (("ruff", "check", "."), ("ruff", "format", "--check", "."), ("mypy",))


def run_lint(session: nox.Session) -> None:
    for step in LINT_STEPS:
        session.run(*step)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Lint and types first (as `lint`), then the project's own tests on two workers.

    pytest-xdist; pass pytest options after `--`. Lint runs first because it takes
    seconds and a type error is cheaper to read than the test failures it causes.
    """
    install(session, browser=True)
    run_lint(session)
    # tests/bench runs here as a smoke test of the benchmark code (small, one round); `benchmark` measures.
    session.run(
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-n",
        "2",
        "--dist",
        "worksteal",
        *(session.posargs or ["tests"]),
        env={"ARMADA_BENCH_EVENTS": "2000", "ARMADA_BENCH_ROUNDS": "1"},
    )


@nox.session(python=PYTHON)
def serve(session: nox.Session) -> None:
    """The reference server with all four auth schemes; prints credentials and a target file."""
    install(session)
    session.run("armada-conformance", "serve", *session.posargs)


@nox.session(python=PYTHON)
def report(session: nox.Session) -> None:
    """Re-render a stored report: `nox -s report -- reports/<run>/report.json`."""
    install(session)
    if not session.posargs:
        session.error("usage: nox -s report -- REPORT.json [--out DIR] [--baseline REPORT.json]")
    session.run("armada-conformance", "report", *session.posargs)


# The Go yardstick of the benchmark session (tests/bench/yardstick): Go, gRPC and protobuf 1.3 sources.
GO_PACKAGES = {
    "golang-go": "/usr/bin/go",
    "golang-google-grpc-dev": "/usr/share/gocode/src/google.golang.org/grpc",
    "golang-github-golang-protobuf-1-3-dev": "/usr/share/gocode/src/github.com/golang/protobuf",
}


@nox.session(python=PYTHON)
def benchmark(session: nox.Session) -> None:
    """Throughput benchmarks at full size (100,000 events), the Go yardstick included.

    As root on Debian the Go packages are installed when missing; otherwise the
    Go comparisons skip and say what to install.
    """
    install(session)
    missing = [pkg for pkg, path in GO_PACKAGES.items() if not os.path.exists(path)]
    if missing and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {"DEBIAN_FRONTEND": "noninteractive"}
        session.run("apt-get", "update", "-qq", external=True, env=env)
        session.run("apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing, external=True, env=env)
    elif missing:
        session.warn(f"missing {' '.join(missing)}: the Go yardstick comparisons will skip")
    session.run(
        "pytest",
        "-q",
        "-s",
        "-p",
        "no:cacheprovider",
        "tests/bench",
        "--benchmark-only",
        *session.posargs,
        env={"ARMADA_BENCH_EVENTS": "100000", "ARMADA_BENCH_YARDSTICK": "1"},
    )


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check, ruff format --check and mypy over conformance, reference_server and protos."""
    session.install("-q", "-e", ".[test]")
    run_lint(session)
