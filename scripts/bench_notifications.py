"""Print how long a published reply takes to reach its reader's inbox: `make bench`.

A real Celery worker with its embedded beat (dispatch every NOTIFICATION_DISPATCH_SECONDS)
against a Redis server of its own (Debian's redis-server, on a free port) and a throwaway SQLite
database. Each round publishes a reply the way scoring does (status and audit event in one
transaction) and waits for the parent's author's email to be stamped sent; the anchor is an
email queued directly (the sending task alone). Prints the figures, asserts nothing.
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ROUNDS = 5
TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_line(process: subprocess.Popen[str], needle: str, deadline: float) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        if needle in line:
            return
        if time.monotonic() > deadline:
            break
    raise SystemExit(f"gave up waiting for {needle!r}")


def sent_after(key: str, since: float) -> float:
    """Seconds from `since` (wall clock) until the email stored under `key` is stamped sent."""
    from accounts.models import OutgoingEmail

    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        sent = OutgoingEmail.objects.filter(key=key).values_list("sent_at", flat=True).first()
        if sent is not None:
            return sent.timestamp() - since
        time.sleep(0.02)
    raise SystemExit(f"no email {key} within {TIMEOUT:.0f} s")


def main() -> None:
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        print("reply -> notification email: skipped (no redis-server installed)")
        return
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="newsroom-notify-") as tmp:
        os.environ.update(
            {
                "DJANGO_SETTINGS_MODULE": "newsroom.settings",
                "DJANGO_DEBUG": "1",
                "REDIS_URL": f"redis://127.0.0.1:{port}/0",
                "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
                "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
                "PYTHONUNBUFFERED": "1",
            }
        )
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        server = subprocess.Popen(  # noqa: S603 (Debian's redis-server)
            [redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", ""], **quiet
        )
        worker: subprocess.Popen[str] | None = None
        try:
            subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
            worker = subprocess.Popen(  # noqa: S603 (our own celery)
                [
                    *(str(BIN / "celery"), "-A", "newsroom", "worker", "-B", "-l", "INFO"),
                    *("--pool", "solo", "-s", f"{tmp}/beat-schedule", "-n", "bench-notify@%h"),
                ],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )
            wait_for_line(worker, " ready.", time.monotonic() + TIMEOUT)
            replies, anchors = measure()
        finally:
            if worker is not None:
                worker.kill()
                worker.wait(timeout=30)
            server.terminate()
            server.wait(timeout=30)
    print(
        f"reply published -> email sent: median {statistics.median(replies):4.2f} s, "
        f"max {max(replies):4.2f} s over {ROUNDS} replies (dispatch every 2 s, 1 s lag); "
        f"anchor, email task alone: median {statistics.median(anchors):4.2f} s; "
        f"ratio {statistics.median(replies) / statistics.median(anchors):.1f}x"
    )


def measure() -> tuple[list[float], list[float]]:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model
    from django.core.mail import EmailMessage
    from django.db import transaction

    from accounts.services import queue_email
    from articles.models import Article
    from comments.audit import record_comment_event
    from comments.models import Comment, CommentStatus, EventAction

    users = get_user_model().objects
    rita = users.create_user("rita")
    otto = users.create_user("otto")
    EmailAddress.objects.create(user=rita, email="rita@example.org", verified=True, primary=True)
    article = Article.objects.create(slug="bench", title="Bench", body="Body")
    parent = Comment.objects.create(
        article=article, author=rita, body="Parent", status=CommentStatus.PUBLISHED
    )
    replies, anchors = [], []
    for n in range(ROUNDS):
        reply = Comment.objects.create(article=article, author=otto, parent=parent, body=f"R{n}")
        with transaction.atomic():
            reply.status = CommentStatus.PUBLISHED
            reply.save(update_fields=["status"])
            record_comment_event(
                comment=reply,
                actor=None,
                action=EventAction.SCORED,
                from_status=CommentStatus.PENDING,
                to_status=CommentStatus.PUBLISHED,
            )
        published = time.time()
        replies.append(sent_after(f"notification:reply:{reply.pk}", published))
        with transaction.atomic():
            queue_email(message=EmailMessage("Anchor", "Body", to=["a@example.org"]), key=f"a{n}")
        queued = time.time()
        anchors.append(sent_after(f"a{n}", queued))
    return replies, anchors


if __name__ == "__main__":
    main()
