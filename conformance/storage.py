"""Where the suite's libraries keep their files: the user's cache, never the working directory.

Hypothesis (under schemathesis) writes ``.hypothesis/`` into the current directory and
pytest-benchmark ``.benchmarks/``; a conformance run should leave nothing there but the
reports it was asked for. Both go to ``$XDG_CACHE_HOME/armada-conformance`` (default
``~/.cache/armada-conformance``) unless the user chose a place for them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

BENCHMARK_STORAGE_DEFAULT = "file://./.benchmarks"


def cache_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "armada-conformance"


def keep_hypothesis_out_of_cwd() -> None:
    """Hypothesis' storage in the cache (its charmap cache is written even with ``database=None``)."""
    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        return
    from hypothesis.configuration import set_hypothesis_home_dir

    set_hypothesis_home_dir(cache_dir() / "hypothesis")


def keep_benchmarks_out_of_cwd(option: Any) -> None:
    """pytest-benchmark's storage (``config.option``) in the cache, unless ``--benchmark-storage`` was given."""
    if getattr(option, "benchmark_storage", None) == BENCHMARK_STORAGE_DEFAULT:
        option.benchmark_storage = f"file://{cache_dir() / 'benchmarks'}"
