"""Give every bulk decision's events their batch id as a field, read from their notes.

Until now undo found a bulk decision's events by parsing the note ("Bulk reject, batch
0123456789ab."); the notes stay as they are, prose for the audit log. The undo of a bulk decision
("Undid bulk batch 0123456789ab.") carries its batch too. One UPDATE per batch.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import migrations, models

NOTES = re.compile(r"(?:Bulk \w+, batch|Undid bulk batch) ([0-9a-f]{12})\.")


def fill_batches(apps: Any, schema_editor: Any) -> None:
    events = apps.get_model("comments", "ModerationEvent").objects
    notes = (
        events.filter(models.Q(note__startswith="Bulk ") | models.Q(note__startswith="Undid bulk "))
        .order_by()
        .values_list("note", flat=True)
        .distinct()
    )
    for note in list(notes):
        match = NOTES.fullmatch(note)
        if match is not None:
            events.filter(note=note).update(batch=match.group(1))


class Migration(migrations.Migration):
    dependencies = [
        ("comments", "0005_queue_riskiest_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="moderationevent",
            name="batch",
            field=models.CharField(blank=True, db_index=True, max_length=12),
        ),
        # Back to before: the field goes, and the notes never changed.
        migrations.RunPython(fill_batches, migrations.RunPython.noop),
    ]
