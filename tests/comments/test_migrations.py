"""Data migrations: run forwards on rows written the old way."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE_BATCH = ("comments", "0005_queue_riskiest_index")
BATCH = ("comments", "0006_moderationevent_batch")


# Transactional, to migrate; serialized_rollback, as for every transactional test here: the
# rows data migrations made (the Moderators group, content types) come back for the next test.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_reads_each_bulk_events_batch_from_its_note() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE_BATCH])
    old = executor.loader.project_state([BEFORE_BATCH]).apps.get_model(
        "comments", "ModerationEvent"
    )
    notes = {
        "bulk": "Bulk reject, batch 0123456789ab.",
        "undo": "Undid bulk batch 0123456789ab.",
        "single": "Kept published; 2 reports dismissed.",
        "look-alike": "Bulk reject, batch of spam.",
    }
    ids = {
        name: old.objects.create(action="rejected", note=note).pk for name, note in notes.items()
    }

    executor = MigrationExecutor(connection)
    executor.migrate([BATCH])
    new = executor.loader.project_state([BATCH]).apps.get_model("comments", "ModerationEvent")

    batches = {name: new.objects.get(pk=pk).batch for name, pk in ids.items()}
    assert batches == {
        "bulk": "0123456789ab",
        "undo": "0123456789ab",
        "single": "",
        "look-alike": "",
    }
    assert [new.objects.get(pk=pk).note for pk in ids.values()] == list(notes.values())


@pytest.fixture(autouse=True)
def latest_schema() -> Iterator[None]:
    """Migrate back to the latest schema after each test: later tests share the database."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
