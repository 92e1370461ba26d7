"""Print performance figures for the comment path and the scoring API: `make bench`.

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
# Not db 15, which the tests use, nor db 0, which `make run`'s worker consumes from (`make bench`
# exports REDIS_URL=.../0 anyway; this is the default for running the script by hand).
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")
# One log line per scored comment would bury the figures.
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.test import Client, RequestFactory  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_test_environment,
)
from django.utils import timezone  # noqa: E402

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
    from comments.model_versions import get_active_model
    from comments.models import Comment
    from comments.scoring import score_comment

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
    # The plain post: the nudge has its own figures (scripts/bench_live.py), and the small model
    # trained here would nudge even "A fair point." rather than save it.
    settings.COMMENT_NUDGE_ENABLED = False

    def post() -> None:
        response = reader_client.post(
            f"/articles/{article.slug}/comments/", {"body": "A fair point."}, HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 200

    print(f"post a comment (htmx):        {median_ms(post):7.1f} ms (includes enqueueing to Redis)")

    model = get_active_model()
    assert model is not None
    text = "I read the whole article and I think the government waited far too long."
    print(f"score one comment (model):    {median_ms(lambda: model.score(text), 200):7.2f} ms")
    pending = list(Comment.objects.pending().values_list("id", flat=True)[:RUNS])
    per_comment = [median_ms(lambda cid=cid: score_comment(comment_id=cid), 1) for cid in pending]
    print(
        f"score_comment service:        {statistics.median(per_comment):7.2f} ms "
        "(read, score, decide, write)"
    )


PERSPECTIVE_RATE = 100  # requests per second, as issue 13 asks
PERSPECTIVE_SECONDS = 10
# The load generator, in its own process so that it does not compete for the server's GIL: an
# open loop, each request sent at its scheduled time whatever the earlier ones are doing, its
# latency counted from that time (a slow server shows as queueing, not as a lower rate).
# Coral's own request body (formatBody in Coral's services/perspective/perspective.ts).
LOAD_GENERATOR = """
import http.client, json, sys, time
from concurrent.futures import ThreadPoolExecutor
port, path, rate, seconds = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
texts = [
    "I read the whole article and I think the government waited far too long.",
    "you are a stupid idiot and everyone hates you",
    "BUY CHEAP PILLS NOW!!! click www.cheap-pills.shop for free money",
]
def call(text, due):
    body = {"comment": {"text": text}, "doNotStore": True,
            "requestedAttributes": {"TOXICITY": {}}, "languages": ["en"]}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        assert response.status == 200, response.status
    finally:
        connection.close()
    return (time.perf_counter() - due) * 1000
for text in texts:
    call(text, time.perf_counter())
start = time.perf_counter() + 0.1
with ThreadPoolExecutor(max_workers=64) as pool:
    futures = []
    for i in range(rate * seconds):
        due = start + i / rate
        time.sleep(max(0.0, due - time.perf_counter()))
        futures.append(pool.submit(call, texts[i % len(texts)], due))
    print(json.dumps(sorted(f.result() for f in futures)))
"""


def perspective_figures() -> None:
    """comments:analyze over HTTP at a steady 100 requests per second: p50 and p99.

    The server is this process's Django (one process, as one gunicorn worker) behind a threaded
    WSGI server, on the benchmark's database, with the model loaded once as a web process loads
    it; the load comes from another process.
    """
    import json
    import socketserver
    import subprocess
    import threading
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    from django.core.wsgi import get_wsgi_application

    from integrations.services import create_api_key

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    class Threaded(socketserver.ThreadingMixIn, WSGIServer):
        daemon_threads = True
        request_queue_size = 256  # the default 5 resets connections in a burst

    _, key = create_api_key(name="bench", rate_limit_per_minute=10**6)
    server = make_server(
        "127.0.0.1", 0, get_wsgi_application(), server_class=Threaded, handler_class=Quiet
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = subprocess.run(  # noqa: S603 (this interpreter, our own script)
            [
                sys.executable,
                "-c",
                LOAD_GENERATOR,
                str(server.server_port),
                f"/v1alpha1/comments:analyze?key={key}",
                str(PERSPECTIVE_RATE),
                str(PERSPECTIVE_SECONDS),
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=PERSPECTIVE_SECONDS * 30,
        )
    finally:
        server.shutdown()
    latencies: list[float] = json.loads(result.stdout)
    p50 = latencies[len(latencies) // 2]
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    print(
        f"\nPerspective comments:analyze, {PERSPECTIVE_RATE} requests/s for "
        f"{PERSPECTIVE_SECONDS} s over HTTP to one web process (open loop):"
    )
    print(f"p50 {p50:6.1f} ms, p99 {p99:6.1f} ms (target: p99 at most 50 ms)")


# Comments as readers write them, from a line to a few paragraphs: the median's population.
NORMAL_COMMENTS = [
    "A fair point.",
    "I read the whole article and I think the government waited far too long.",
    "Great reporting, thank you. The second paragraph explains the budget clearly and I agree "
    "with most of it, though the numbers for next year look optimistic to me.",
    "You are an idiot and so is everyone who agrees with this rubbish.",
    "Check out my channel and SUBSCRIBE, free gift cards at my site www.example.com",
    "My grandmother lived on that street for forty years. When the factory closed, half the "
    "shops went with it, and nobody from the council came to ask what we needed. This is the "
    "first time I have seen anyone write about it honestly. Thank you for listening to the "
    "people who actually live here rather than the press office.",
    "Does anyone know whether the consultation is still open? The link in the article goes to "
    "a page that says it closed last week, but the date in the third paragraph says otherwise.",
    "Rubbish. Utter rubbish from start to finish.",
]
WORST_LENGTH = 5000  # COMMENT_MAX_LENGTH: the longest comment a reader can post
SCORING_RUNS = 15


def worst_case_texts() -> dict[str, str]:
    """5,000-character comments built to cost the most: the most n-grams to hash and explain."""
    import random

    rng = random.Random(5000)
    vocabulary = [
        "you",
        "stupid",
        "idiot",
        "free",
        "money",
        "click",
        "subscribe",
        "channel",
        "council",
        "budget",
        "the",
    ]
    return {
        "words": " ".join(rng.choice(vocabulary) for _ in range(WORST_LENGTH))[:WORST_LENGTH],
        "random characters": "".join(
            rng.choice("abcdefghijklmnopqrstuvwxyz0123456789 ") for _ in range(WORST_LENGTH)
        ),
        # Each "İ" lowercases to two characters: the explainer's slow, per-character path.
        "dotted capitals": "İ" * WORST_LENGTH,
        "one long word": "x" * WORST_LENGTH,
    }


def worst_case_scoring_figures() -> None:
    """Worker CPU (time.process_time) of score_comment, explanations included: a normal comment
    (median over NORMAL_COMMENTS) against the costliest 5,000-character one; at most 3x."""
    from articles.models import Article
    from comments.models import Comment
    from comments.scoring import score_comment

    article = Article.objects.create(slug="bench-cost", title="Cost", body="One.")
    author = get_user_model().objects.create_user("bench-cost-author")

    def cpu_ms(text: str) -> float:
        timings = []
        for _ in range(SCORING_RUNS):
            comment = Comment.objects.create(article=article, author=author, body=text)
            started = time.process_time()
            score_comment(comment_id=comment.pk)
            timings.append((time.process_time() - started) * 1000)
        return statistics.median(timings)

    cpu_ms(NORMAL_COMMENTS[0])  # warm up: the model loads once per process
    normal = statistics.median(cpu_ms(text) for text in NORMAL_COMMENTS)
    print(f"score_comment CPU, normal comment (median): {normal:7.2f} ms")
    worst_name, worst = "", 0.0
    for name, text in worst_case_texts().items():
        cost = cpu_ms(text)
        print(f"score_comment CPU, 5,000 chars of {name + ':':19} {cost:7.2f} ms")
        if cost > worst:
            worst_name, worst = name, cost
    print(f"worst case / median: {worst / normal:4.1f}x ({worst_name}; the bound is 3x)")


QUEUE_SIZE = 10_000
HISTORY_SIZE = 90_000
BULK_SIZE = 5_000


def moderation_queue_figures() -> None:
    """The queue at scale: its first page over 10,000 held comments, and a bulk reject of 5,000."""
    from articles.models import Article
    from comments.models import Comment, Report

    users = get_user_model().objects
    moderator = users.create_user("queue-moderator")
    moderator.groups.add(Group.objects.get(name="Moderators"))
    authors = users.bulk_create(
        get_user_model()(username=f"queue-author-{i}") for i in range(QUEUE_SIZE // 20)
    )
    reporter = users.create_user("queue-reporter")
    articles = Article.objects.bulk_create(
        Article(slug=f"queue-{i}", title=f"Queue story {i}", body="One.") for i in range(20)
    )
    # Every card has a parent, an author with a record and, for one in ten, a report: the page
    # must join or batch all of that, whatever the queue's size.
    parents = Comment.objects.bulk_create(
        Comment(article=article, author=authors[0], body="A parent.", status="published")
        for article in articles
    )
    held = Comment.objects.bulk_create(
        Comment(
            article=articles[i % 20],
            author=authors[i % len(authors)],
            parent=parents[i % 20],
            # Half of them are about a casino: the bulk reject below takes exactly those.
            body=f"Held comment {i}" + (" about the casino bonus" if i % 2 else ""),
            status="held",
            scores={"toxicity": (i % 97) / 97, "spam": (i % 89) / 89},
            risk=max((i % 97) / 97, (i % 89) / 89),
            reason_codes=["toxicity_uncertain"],
        )
        for i in range(QUEUE_SIZE)
    )
    Report.objects.bulk_create(
        Report(comment=comment, reporter=reporter, reason="spam") for comment in held[::10]
    )
    # The rest of a site's history around them (issue 15: the queue must stay flat in it).
    for start in range(0, HISTORY_SIZE, 10_000):
        Comment.objects.bulk_create(
            Comment(
                article=articles[i % 20],
                author=authors[i % len(authors)],
                body=f"Published comment {i}",
                status="published" if i % 10 else "rejected",
                risk=0.05,
            )
            for i in range(start, min(start + 10_000, HISTORY_SIZE))
        )
    # A live database's autovacuum keeps planner statistics; a freshly filled one has none.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    client = Client()
    client.force_login(moderator)

    total = Comment.objects.count()
    print(
        f"\nmoderation queue: {QUEUE_SIZE:,} held among {total:,} comments; median of {RUNS} runs"
    )

    def minimal(request: HttpRequest) -> HttpResponse:
        # The anchor: a minimal Django view over the same rows (20 held, riskiest first).
        bodies = Comment.objects.held().order_by("-risk", "id").values_list("body", flat=True)
        return HttpResponse("\n".join(bodies[:20]))

    minimal_request = RequestFactory().get("/minimal/")
    anchor = cpu_ms(lambda: minimal(minimal_request))

    def first_page() -> None:
        assert client.get("/moderation/").status_code == 200

    from django.db.models import Count, Exists, OuterRef

    from moderation import queues

    def tab_counts() -> None:
        queues.counts(Comment.objects.all())

    def one_aggregate() -> None:
        # The former counts, for comparison: one aggregate over every comment, with a probe
        # into the reports per row.
        reported = Exists(Report.objects.open().filter(comment=OuterRef("pk")))
        totals = {q.value: Count("id", filter=queues.condition(q)) for q in queues.Queue}
        Comment.objects.order_by().aggregate(**{**totals, "reported": Count("id", filter=reported)})

    print(f"tab counts (6 capped queries):   {median_ms(tab_counts):7.2f} ms")
    print(f"one aggregate (the former way):  {median_ms(one_aggregate):7.2f} ms")
    page = cpu_ms(first_page)
    print(f"minimal view, 20 held (anchor): {anchor:7.2f} ms CPU")
    print(f"first page, CPU of this process: {page:7.2f} ms CPU, {page / anchor:5.1f}x the anchor")
    for name, params in [
        ("first page, riskiest first:   ", {}),
        ("search 'casino' (icontains):  ", {"q": "casino"}),
        (
            "toxicity 0.5-0.8, waiting:    ",
            {"label": "toxicity", "min_score": "0.5", "max_score": "0.8", "sort": "waiting"},
        ),
    ]:

        def show(params: dict[str, str] = params) -> None:
            assert client.get("/moderation/", params).status_code == 200

        print(f"{name} {median_ms(show):7.1f} ms, {queries(show)} queries")

    def poll() -> None:
        shown = [str(c.pk) for c in held[:50]]
        assert client.get("/moderation/changes/", {"shown": shown}).status_code == 200

    print(f"live refresh (50 cards):       {median_ms(poll):7.1f} ms, {queries(poll)} queries")

    bulk = {
        "q": "casino bonus",
        "decision": "reject",
        "reason": "spam",
        "scope": "matching",
        "seen_at": timezone.now().isoformat(),
    }
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        response = client.post("/moderation/bulk/", bulk)
        elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 302
    rejected = Comment.objects.filter(status="rejected", body__contains="casino").count()
    assert rejected == BULK_SIZE, rejected
    print(
        f"bulk reject of {rejected:,} (one request): {elapsed:7.1f} ms, {len(captured)} queries "
        "(one run: it changes the data)"
    )


def cpu_ms(action: Callable[[], object], runs: int = RUNS) -> float:
    """Median CPU time of this process (time.process_time) per call: what a request costs the
    web server, without the waits on the database server or Redis."""
    timings = []
    for _ in range(runs):
        started = time.process_time()
        action()
        timings.append((time.process_time() - started) * 1000)
    return statistics.median(timings)


def conversation_figures() -> None:
    """Issue 11: the article page with 200 published comments, 60 of them replies with
    reactions, against the anchor of the same page with 20 flat comments; and the cost of a
    reply and a reaction beside a comment."""
    from articles.models import Article
    from comments.models import Comment, Reaction

    users = get_user_model().objects
    readers = [users.create_user(f"conv-reader-{i}") for i in range(10)]
    flat = Article.objects.create(slug="conv-flat", title="Twenty flat", body="One.")
    Comment.objects.bulk_create(
        Comment(article=flat, author=readers[i % 10], body=f"Flat {i}", status="published")
        for i in range(20)
    )
    threaded = Article.objects.create(slug="conv-threads", title="Two hundred", body="One.")
    tops = Comment.objects.bulk_create(
        Comment(article=threaded, author=readers[i % 10], body=f"Top {i}", status="published")
        for i in range(140)
    )
    parent = tops[0]
    for i in range(60):  # half under the first 30 top-level comments, half in one deep chain
        parent = tops[i] if i % 2 else parent
        root = parent.root_id or parent.pk
        reply = Comment.objects.create(
            article=threaded,
            author=readers[(i + 1) % 10],
            body=f"Reply {i}: see https://example.org/{i}",
            status="published",
            parent=parent,
            root_id=root,
            depth=min(parent.depth + 1, settings.COMMENT_MAX_DEPTH),
        )
        fans = [r for r in readers[:3] if r.pk != reply.author_id]
        Reaction.objects.bulk_create(Reaction(comment=reply, reader=r) for r in fans)
        Comment.objects.filter(pk=reply.pk).update(reaction_count=len(fans))
        parent = reply
    Comment.objects.filter(article=threaded).refresh_reply_counts()

    from comments import live

    visitor = Client()
    print(f"\nconversation (issue 11): median CPU ms of this process over {RUNS} runs")
    figures = {}
    for name, article in [("20 flat comments", flat), ("200 comments, 60 replies", threaded)]:

        def show(url: str = article.get_absolute_url(), pk: int = article.pk) -> None:
            # Uncached: what a change readers see does (one INCR), then the page renders and
            # stores its comment section afresh (comments.reading.cached_comment_section).
            live.bump_articles([pk])
            assert visitor.get(url).status_code == 200

        figures[name] = cpu_ms(show)
        print(f"article page, {name:25} {figures[name]:7.1f} ms CPU, {queries(show)} queries")
    anchor = figures["20 flat comments"]
    ratio = figures["200 comments, 60 replies"] / anchor
    print(f"threaded page / flat page (anchor):      {ratio:5.1f}x")
    url = threaded.get_absolute_url()

    def show_cached() -> None:
        assert visitor.get(url).status_code == 200

    def revalidate() -> None:
        assert visitor.get(url, HTTP_IF_NONE_MATCH=tag).status_code == 304

    show_cached()
    tag = visitor.get(url).headers["ETag"]
    for name, action in [
        ("200 comments, cached (anonymous):", show_cached),
        ("200 comments, 304 (If-None-Match):", revalidate),
    ]:
        cost = cpu_ms(action)
        print(
            f"article page, {name:34} {cost:5.2f} ms CPU, {queries(action)} queries, "
            f"{cost / anchor:4.2f}x the flat page"
        )

    def minimal(request: HttpRequest) -> HttpResponse:
        # The anchor: a minimal Django view over 20 comments, no middleware.
        bodies = Comment.objects.published().filter(article=flat).values_list("body", flat=True)
        return HttpResponse("\n".join(bodies[:20]))

    minimal_request = RequestFactory().get("/minimal/")
    minimal_cost = cpu_ms(lambda: minimal(minimal_request))
    print(f"minimal view, 20 comments (anchor):      {minimal_cost:5.2f} ms CPU")

    settings.COMMENT_RATE_LIMIT = 10**6
    # The plain post: the nudge has its own figures (scripts/bench_live.py), and the small model
    # trained here would nudge even "A fair point." rather than save it.
    settings.COMMENT_NUDGE_ENABLED = False
    settings.REACTION_RATE_LIMIT = 10**6
    poster = Client()
    poster.force_login(readers[5])
    target = tops[7]

    def post_comment() -> None:
        response = poster.post(
            f"/articles/{threaded.slug}/comments/",
            {"body": "A fair point."},
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200

    def post_reply() -> None:
        response = poster.post(
            f"/comments/{target.pk}/reply/", {"body": "I agree."}, HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 200

    def react() -> None:  # alternately adds and takes back the reaction: both are writes
        response = poster.post(f"/comments/{target.pk}/react/", HTTP_HX_REQUEST="true")
        assert response.status_code == 200

    anchor = cpu_ms(post_comment)
    print(f"post a comment (htmx, anchor):           {anchor:7.2f} ms CPU")
    for name, action in [("post a reply (htmx):", post_reply), ("react (htmx, toggle):", react)]:
        cost = cpu_ms(action)
        print(f"{name:40} {cost:7.2f} ms CPU, {cost / anchor:4.2f}x a comment")


if __name__ == "__main__":
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        if sys.argv[1:] == ["conversation"]:  # just these figures, without training a model
            conversation_figures()
            raise SystemExit(0)
        if sys.argv[1:] == ["queue"]:  # just the queue's figures
            moderation_queue_figures()
            raise SystemExit(0)
        if sys.argv[1:] == ["perspective"]:  # just comments:analyze at 100 requests/s
            with open(os.devnull, "w") as quiet:
                call_command("train_classifier", "--limit", "3000", stdout=quiet)
            perspective_figures()
            raise SystemExit(0)
        main()
        perspective_figures()
        worst_case_scoring_figures()
        moderation_queue_figures()
        conversation_figures()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
