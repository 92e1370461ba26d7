from __future__ import annotations

import pytest

from comments.models import Comment
from tests.factories import make_article, make_comment, make_user


@pytest.fixture
def held(db: None) -> Comment:
    """A comment held for a moderator."""
    return make_comment(article=make_article(), author=make_user(), status="held")
