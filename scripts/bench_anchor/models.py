from django.db import models


class Comment(models.Model):
    """Created by scripts/bench_load.py with SQL (no migrations in the anchor)."""

    author = models.CharField(max_length=150)
    body = models.TextField()
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True)

    class Meta:
        managed = False
        db_table = "bench_anchor_comment"

    def __str__(self) -> str:
        return self.body
