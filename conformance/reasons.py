"""Why a check could not run, in words a person reads: setup problems apart, no Python class names.

A check whose setup failed (its queue, its jobs, its retry policy) is ``error``: the
suite's or the environment's problem, not a finding about the server. The runner
recognises it by ``SetupError`` or by the exception having come out of one of the
suite's setup helpers (``SETUP_HELPERS``), so a helper raising a plain RuntimeError
(or a library error inside it) is an error too.
"""

from __future__ import annotations

from pathlib import Path

SETUP_NOTE = (
    "the suite could not set this check up (a problem of the suite or its environment, not a finding about the server)"
)
# Where the suite prepares what a check needs: an exception raised inside one is a setup problem.
SETUP_HELPERS = frozenset(
    {
        ("context.py", "create_queue"),
        ("context.py", "wait_until_usable"),
        ("context.py", "submit"),
        ("retry_policies.py", "create"),
        ("jobs_api.py", "submit"),
    }
)


def raised_in_setup(exc: BaseException) -> bool:
    """Whether ``exc`` came out of one of the suite's setup helpers (``SETUP_HELPERS``)."""
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if (Path(code.co_filename).name, code.co_name) in SETUP_HELPERS:
            return True
        tb = tb.tb_next
    return False


def plain_reason(exc: BaseException) -> str:
    """An exception as a person reads it: its text, never the Python class name."""
    text = " ".join(str(exc).split())
    if isinstance(exc, KeyError) and text:
        return f"missing {text}"
    return text or "an internal problem of the suite (no message; the report's evidence names it)"
