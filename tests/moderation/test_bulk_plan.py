"""The bulk decision's statement plans linearly on PostgreSQL (issue 15): checked with EXPLAIN."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from comments.models import Comment, EventAction, ModerationEvent
from moderation.services import decision_rows, insert_events_sql
from tests.conftest import require_service
from tests.factories import make_article, make_moderator, make_user

pytestmark = pytest.mark.django_db

HELD = 5000
EVENTS_PER_COMMENT = 2


def nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(node for child in plan.get("Plans", []) for node in nodes(child))]


def test_the_acted_on_since_check_probes_each_comment_not_every_recent_event() -> None:
    require_service(
        "PostgreSQL",
        connection.vendor == "postgresql",
        "the plan is PostgreSQL's: set DATABASE_URL=postgres://...",
    )
    article, author = make_article(), make_user("rita")
    mona, other = make_moderator("mona"), make_moderator("otto")
    now = timezone.now()
    # The statistics were gathered before this hour's comments and events arrived (between
    # autovacuum's runs): the planner thinks few comments are held and few events recent, and a
    # nested loop looks cheap. It must then probe each comment's own events, not walk every
    # recent event once per comment (what the issue measured: quadratic in the batch).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE comments_comment, comments_moderationevent")
    held = Comment.objects.bulk_create(
        Comment(article=article, author=author, body=f"Held {i}", status="held", risk=0.5)
        for i in range(HELD)
    )
    ModerationEvent.objects.bulk_create(
        ModerationEvent(
            comment=comment,
            actor=other,
            action=EventAction.SCORED,
            from_status="pending",
            to_status="held",
            created_at=now - timedelta(seconds=n),
        )
        for comment in held
        for n in range(EVENTS_PER_COMMENT)
    )
    # As the bulk view selects them: the queue's filter, the checked ids, unchanged since.
    chosen = (
        Comment.objects.held()
        .unchanged_by_others_since(now - timedelta(minutes=1), moderator=mona)
        .filter(pk__in=[comment.pk for comment in held])
    )
    sql, params = insert_events_sql(
        decision_rows(
            chosen,
            moderator=mona,
            decision="reject",
            reject_reason="",
            batch="plan",
            stamp=now,
        )
    )

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (row,) = cursor.fetchall()
    document = row[0] if not isinstance(row[0], str) else json.loads(row[0])
    plan = document[0]["Plan"]
    shown = json.dumps(plan, indent=1)
    assert any(n.get("Relation Name") == "comments_moderationevent" for n in nodes(plan)), shown
    # Per comment, a nested loop may only probe that comment's events through (comment,
    # created_at): never walk every recent event for each comment (the nested loop over
    # created_at the issue measured, quadratic in the batch). A hash join is linear.
    for loop in (n for n in nodes(plan) if n["Node Type"] == "Nested Loop"):
        inner = nodes(loop["Plans"][1])
        if not any(n.get("Relation Name") == "comments_moderationevent" for n in inner):
            continue
        indexes = {n["Index Name"] for n in inner if "Index Name" in n}
        assert indexes == {"event_comment_created_idx"}, shown
        assert not any(n["Node Type"] == "Seq Scan" for n in inner), shown
