from __future__ import annotations

import os

import pytest
from pytest_django import Settings


def require_service(name: str, available: bool, how: str = "") -> None:
    """Fail under CI=true when a real service is missing; elsewhere skip with the reason."""
    if available:
        return
    message = f"{name} is not available" + (f": {how}" if how else "")
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true: tests needing it must run, not skip)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Settings) -> None:
    # PBKDF2's deliberate slowness is for production logins, not for creating test users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
