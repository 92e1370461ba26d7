"""An index in the queue's default order, so its first page reads 50 index entries, not a sort.

riskiest_first orders by risk DESC NULLS LAST; PostgreSQL can only use an index for that if the
index says NULLS LAST too, and SQLite cannot declare NULLS LAST in an index at all. So this is
raw SQL, on PostgreSQL only (the embedded SQLite default holds a newsroom's worth in memory).
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

INDEX = "comment_queue_riskiest"


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON comments_comment "
            "(status, risk DESC NULLS LAST, created_at, id)"
        )


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("comments", "0004_reports_author_standing_word_rules")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
