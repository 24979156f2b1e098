"""Fixtures of tests/auth; the KDC and OpenID provider are the session's (tests/conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest
from auth_kit import BASIC_USERS


@pytest.fixture
def basic_table() -> dict[str, Any]:
    return {"users": {name: dict(entry) for name, entry in BASIC_USERS.items()}}
