"""Print performance figures for the comment path: `make bench`.

Runs against a throwaway test database (SQLite by default, or DATABASE_URL's server) so it never
touches the development data. Figures are medians over repeated runs on this machine.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_test_environment,
)

COMMENTS = 1000
RUNS = 30


def median_ms(action: Callable[[], object], runs: int = RUNS) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def queries(action: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured)


def main() -> None:
    from articles.models import Article
    from comments import classifier, services
    from comments.models import Comment

    print(f"database: {connection.vendor}; {COMMENTS:,} comments; median of {RUNS} runs")
    # Latency depends on the hashed feature space, not on how many rows trained it.
    with open(os.devnull, "w") as quiet:
        call_command("train_classifier", "--limit", "3000", stdout=quiet)
    article = Article.objects.create(slug="bench", title="Bench story", body="One.\n\nTwo.")
    users = get_user_model().objects
    reader = users.create_user("bench-reader")
    moderator = users.create_user("bench-moderator")
    moderator.groups.add(Group.objects.get(name="Moderators"))
    Comment.objects.bulk_create(
        Comment(article=article, author=reader, body=f"Comment {i}", status="published")
        for i in range(COMMENTS)
    )
    Comment.objects.bulk_create(
        Comment(
            article=article,
            author=reader,
            body=f"Held {i}",
            status="held",
            scores={"toxicity": i / COMMENTS, "spam": 0.1},
            risk=i / COMMENTS,
            reason_codes=["toxicity_uncertain"],
        )
        for i in range(COMMENTS)
    )

    visitor, reader_client, moderator_client = Client(), Client(), Client()
    reader_client.force_login(reader)
    moderator_client.force_login(moderator)
    page = article.get_absolute_url()

    def show_article() -> None:
        assert visitor.get(page).status_code == 200

    def show_queue() -> None:
        assert moderator_client.get("/moderation/").status_code == 200

    for name, action in [
        ("article page, anonymous:     ", show_article),
        ("moderation queue, first page:", show_queue),
    ]:
        print(f"{name} {median_ms(action):7.1f} ms, {queries(action)} queries")

    settings.COMMENT_RATE_LIMIT = 10**6

    def post() -> None:
        response = reader_client.post(
            f"/articles/{article.slug}/comments/", {"body": "A fair point."}, HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 200

    print(f"post a comment (htmx):        {median_ms(post):7.1f} ms (includes enqueueing to Redis)")

    model = classifier.get_active_model()
    assert model is not None
    text = "I read the whole article and I think the government waited far too long."
    print(f"score one comment (model):    {median_ms(lambda: model.score(text), 200):7.2f} ms")
    pending = list(Comment.objects.pending().values_list("id", flat=True)[:RUNS])
    per_comment = [
        median_ms(lambda cid=cid: services.score_comment(comment_id=cid), 1) for cid in pending
    ]
    print(
        f"score_comment service:        {statistics.median(per_comment):7.2f} ms "
        "(read, score, decide, write)"
    )


if __name__ == "__main__":
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        main()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
