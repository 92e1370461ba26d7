from __future__ import annotations

from collections.abc import Iterator

import pytest

from comments import model_versions


@pytest.fixture(autouse=True)
def fresh_model_cache() -> Iterator[None]:
    """Each test loads the active model afresh, whatever an earlier test left cached."""
    model_versions.clear_model_cache()
    yield
    model_versions.clear_model_cache()


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record scoring tasks published to the broker instead of sending them."""
    from comments.tasks import score_comment

    sent: list[int] = []
    monkeypatch.setattr(score_comment, "apply_async", lambda args, **kw: sent.append(args[0]))
    return sent
