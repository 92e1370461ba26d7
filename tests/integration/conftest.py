from __future__ import annotations

import pytest

from tests import workers


def pytest_configure(config: pytest.Config) -> None:
    # One plugin for both tests/integration and tests/browser: one worker per session.
    workers.register(config)
