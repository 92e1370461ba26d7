"""Print what live updates cost each way: 2,000 readers polling (the product) against 2,000
readers holding a server-sent events stream (scripts/sse_asgi.py), side by side, in one run.

One throwaway database and one hot article (a comment published every PUBLISH_EVERY seconds,
as scripts/bench_live.py does), signed-out readers, server CPU from /proc (the server's master
and workers, user plus system time), never the client's.

1. Polling: gunicorn with 2 sync workers, as `make run` starts it; bench_live's own load
   generator and figures (its anchor, /favicon.ico, and the hot article's poll).
2. SSE: uvicorn (uvloop, httptools) with 2 workers serving the same Django app plus the SSE view;
   a client process opens READERS streams (each a GET through Django's whole middleware
   stack), then the server's CPU is measured while they sit open on a quiet article (only the
   heartbeats and the per-process watcher), then on the hot article; the client stamps each
   event's arrival (time.time(), the same clock as the publisher's) for the delivery delay.
   Memory: the servers' resident set (VmRSS, every process) before and with the readers.
3. SSE again, each stream opened before Django's middleware (sse_asgi.answer_streams_early),
   as the product answers signed-out polls before it: the per-page cost of a stream.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import bench_live  # noqa: E402 (the polling half is its method, unchanged)

from scripts.proc_cpu import tree_cpu_seconds  # noqa: E402

READERS = bench_live.READERS
SECONDS = bench_live.SECONDS
PUBLISH_EVERY = bench_live.PUBLISH_EVERY
POLL_SECONDS = bench_live.POLL_SECONDS
WORKERS = 2
HOT_SECONDS = 3 * PUBLISH_EVERY  # three comments published while the streams are open

# The SSE readers: open READERS streams (at most 100 connecting at once, as pages opening over
# a few seconds), say "open" when every one has its headers, then stamp every event until told
# to stop on stdin; print the stamps and what went wrong.
SSE_CLIENT = r"""
import asyncio, json, resource, sys, time
port, path, readers = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
stamps, failures, opened = [], {}, 0
all_open = asyncio.Event()

async def stream(index, gate):
    global opened
    try:
        async with gate:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
                .encode()
            )
            status = await reader.readline()
            if b" 200 " not in status:
                raise RuntimeError(status.decode().strip())
            while (await reader.readline()) not in (b"\r\n", b""):
                pass
        opened += 1
        if opened == readers:
            all_open.set()
        # Chunked transfer: size lines, then the event's lines; only "data:" matters here.
        while True:
            line = await reader.readline()
            if not line:
                raise ConnectionError("closed by the server")
            if line.startswith(b"data: "):
                stamps.append((json.loads(line[6:])["published"], time.time()))
    except Exception as exc:
        name = type(exc).__name__ + (": " + str(exc)[:60] if str(exc) else "")
        failures[name] = failures.get(name, 0) + 1
        if opened + sum(failures.values()) == readers:
            all_open.set()

async def main():
    gate = asyncio.Semaphore(100)
    tasks = [asyncio.create_task(stream(i, gate)) for i in range(readers)]
    await all_open.wait()
    print(json.dumps({"open": opened, "failures": failures}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    print(json.dumps({"stamps": stamps, "failures": failures, "open": opened}), flush=True)
    for task in tasks:
        task.cancel()

asyncio.run(main())
"""


def rss_mb(root_pid: int) -> float:
    """Resident memory of a process and its children, from /proc (shared pages counted in
    each, as `ps` does: an upper bound)."""
    pids = [root_pid]
    children = Path(f"/proc/{root_pid}/task/{root_pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    total_kb = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except FileNotFoundError:
            continue
    return total_kb / 1024


def raise_fd_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def start(command: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(command, cwd=ROOT, env=env, preexec_fn=raise_fd_limit)  # noqa: S603
    bench_live.wait_for(port)
    return server


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    server.wait(timeout=30)


def polling_figures(port: int, env: dict[str, str], poll: str, publish: object) -> dict[str, float]:
    """bench_live's anchor and hot article, on gunicorn as `make run` starts it."""
    bench_live.SERVER = start(
        bench_live.gunicorn_command(port),
        env,
        port,
    )
    try:
        print(
            f"\n1. Polling (the product): {READERS:,} readers each polling every {POLL_SECONDS} s "
            f"for {SECONDS} s; gunicorn, {WORKERS} sync workers"
        )
        anchor = bench_live.report(
            "anchor, /favicon.ico (no query)  ", *bench_live.load(port, "/favicon.ico")
        )
        hot = bench_live.report(
            f"live poll, one published per {PUBLISH_EVERY:.0f} s",
            *bench_live.load(port, poll, publish),
        )
        rss = rss_mb(bench_live.SERVER.pid)  # sync workers keep nothing per reader
    finally:
        stop(bench_live.SERVER)
    print(f"{'':34}  server RSS {rss:.0f} MB after the readers")
    return {"anchor": anchor, "hot": hot, "rss": rss}


def sse_figures(
    port: int,
    env: dict[str, str],
    stream: str,
    publish: object,
    published: dict[int, float],
    early: bool,
) -> dict[str, float] | None:
    """Hold READERS streams on the article, opened through Django's middleware and view or
    (`early`) before it."""
    server = start(
        [
            str(BIN / "uvicorn"),
            "--app-dir",
            str(ROOT / "scripts"),
            "sse_asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(WORKERS),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--backlog",
            "4096",
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        {**env, "PYTHONPATH": str(ROOT), "SSE_EARLY": "1" if early else "0"},
        port,
    )
    try:
        print(
            f"\n{'3' if early else '2'}. Server-sent events, streams opened "
            f"{'before Django (answer_streams_early)' if early else 'through Django (its view)'}"
            f": {READERS:,} open streams on the article; uvicorn (uvloop, httptools), {WORKERS} "
            f"workers; the per-process watcher reads the article's counter every "
            f"{float(env.get('SSE_CHECK_SECONDS', '0.5'))} s"
        )
        # A first stream per worker would load its lazy imports: not the readers' cost.
        warm = subprocess.run(  # noqa: S603
            [sys.executable, "-c", SSE_CLIENT, str(port), stream, "4"],
            input="\n",
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert '"open": 4' in warm.stdout, warm.stdout + warm.stderr
        idle_rss = rss_mb(server.pid)
        cpu_before, started = tree_cpu_seconds(server.pid), time.monotonic()
        client = subprocess.Popen(  # noqa: S603
            [sys.executable, "-c", SSE_CLIENT, str(port), stream, str(READERS)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=raise_fd_limit,
        )
        assert client.stdout is not None and client.stdin is not None
        opening = json.loads(client.stdout.readline())
        open_cpu = tree_cpu_seconds(server.pid) - cpu_before
        open_wall = time.monotonic() - started
        held = opening["open"]
        print(
            f"opening: {held:,} of {READERS:,} streams open in {open_wall:.1f} s, failures "
            f"{opening['failures'] or 'none'}; server CPU {open_cpu:.2f} s = "
            f"{open_cpu * 1000 / max(held, 1):.2f} ms per stream opened"
        )
        if not held:
            client.kill()
            return None
        time.sleep(1)
        open_rss = rss_mb(server.pid)

        def hold(seconds: float, publishing: bool) -> tuple[float, float]:
            cpu_before, started = tree_cpu_seconds(server.pid), time.monotonic()
            next_publication = started + PUBLISH_EVERY / 2
            while time.monotonic() - started < seconds:
                if publishing and time.monotonic() >= next_publication:
                    publish()  # type: ignore[operator]
                    next_publication += PUBLISH_EVERY
                time.sleep(0.05)
            return tree_cpu_seconds(server.pid) - cpu_before, time.monotonic() - started

        quiet_cpu, quiet_wall = hold(SECONDS, publishing=False)
        hot_cpu, hot_wall = hold(HOT_SECONDS, publishing=True)
        time.sleep(2)  # the last event's stragglers
        client.stdin.write("stop\n")
        client.stdin.flush()
        result = json.loads(client.stdout.readline())
        client.wait(timeout=60)
    finally:
        stop(server)
    by_publication: dict[int, list[float]] = {}
    for count, stamp in result["stamps"]:
        if count in published:
            by_publication.setdefault(count, []).append((stamp - published[count]) * 1000)
    delays = sorted(d for ds in by_publication.values() for d in ds)
    # Each publication reaches every reader at once: its delay is the watcher's wait (up to
    # CHECK_SECONDS) plus the fan-out, the time to write the event to every open stream.
    fan_out = max((max(ds) - min(ds) for ds in by_publication.values()), default=float("nan"))
    expected = held * len(published)
    quiet = quiet_cpu * 1000 / held / quiet_wall
    hot = hot_cpu * 1000 / held / hot_wall
    print(
        f"held open, nothing published: server CPU {quiet_cpu:5.2f} s in {quiet_wall:4.1f} s "
        f"({quiet_cpu / quiet_wall * 100:4.1f}% of one core) = {quiet:.4f} ms per open reader "
        f"per second"
    )
    print(
        f"held open, one published per {PUBLISH_EVERY:.0f} s: server CPU {hot_cpu:5.2f} s in "
        f"{hot_wall:4.1f} s ({hot_cpu / hot_wall * 100:4.1f}% of one core) = {hot:.4f} ms per "
        f"open reader per second"
    )
    if delays:
        print(
            f"delivery (publish -> event received): {len(delays):,} of {expected:,} events, "
            f"p50 {delays[len(delays) // 2]:.0f} ms, p99 {delays[int(len(delays) * 0.99)]:.0f} "
            f"ms, max {delays[-1]:.0f} ms ({len(by_publication)} publications; the first "
            f"reader to the last of one publication, the fan-out: up to {fan_out:.0f} ms); "
            f"streams failed by the end: {result['failures'] or 'none'}"
        )
    print(
        f"server RSS {idle_rss:.0f} MB with no stream, {open_rss:.0f} MB with {held:,} open: "
        f"{(open_rss - idle_rss) * 1024 / held:.0f} KB per open reader"
    )
    return {
        "held": held,
        "quiet": quiet,
        "hot": hot,
        "open_ms": open_cpu * 1000 / held,
        "rss": open_rss,
        "fan_out": fan_out,
        "p50": delays[len(delays) // 2] if delays else float("nan"),
        "p99": delays[int(len(delays) * 0.99)] if delays else float("nan"),
    }


def compare(polling: dict[str, float], streams: list[tuple[str, dict[str, float] | None]]) -> None:
    print(f"\nLive updates, {READERS:,} open readers on one hot article, each way")
    poll_per_reader = polling["hot"] / POLL_SECONDS
    poll_cores = poll_per_reader * READERS / 1000
    print(
        f"polling: {poll_per_reader:.4f} ms CPU per open reader per second "
        f"({polling['hot']:.2f} ms per poll every {POLL_SECONDS} s; anchor {polling['anchor']:.2f}"
        f" ms): {poll_cores:.2f} cores; server RSS {polling['rss']:.0f} MB; delay up to a "
        f"period: p50 {POLL_SECONDS / 2:.1f} s, p99 {POLL_SECONDS * 0.99:.1f} s (derived from "
        f"the period, not measured)"
    )
    for name, sse in streams:
        if sse is None:
            print(f"SSE, {name}: no stream could be held (see above)")
            continue
        sse_cores = sse["hot"] * READERS / 1000
        print(
            f"SSE, {name}: {sse['hot']:.4f} ms CPU per open reader per second: "
            f"{sse_cores:.2f} cores, {poll_cores / sse_cores:.1f}x less than polling; "
            f"server RSS {sse['rss']:.0f} MB ({sse['rss'] - polling['rss']:+.0f} MB); delay p50 "
            f"{sse['p50'] / 1000:.2f} s, p99 {sse['p99'] / 1000:.2f} s (measured); but "
            f"{sse['open_ms']:.2f} ms each time a page opens a stream "
            f"({sse['open_ms'] / polling['anchor']:.1f}x the anchor)"
        )
        # A stream is opened once per page view, a polling page pays per poll: past this many
        # seconds open, a stream has cost less CPU than polling.
        saved = poll_per_reader - sse["hot"]
        break_even = sse["open_ms"] / saved if saved > 0 else float("inf")
        print(
            f"{'':{len(name) + 5}}  a page open longer than {break_even:.0f} s costs less CPU "
            f"with a stream ({sse['open_ms']:.2f} ms to open / {saved:.4f} ms saved per second)"
        )


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-sse-"))
    article, author = bench_live.prepare_site(work, "bench-sse")
    env = dict(os.environ)  # the site prepare_site settled on, for the servers it starts
    from django.utils import timezone

    from comments import live

    published: dict[int, float] = {}

    def publish() -> None:
        bench_live.publish_news(article, author)
        published[live.published_count(article.pk) or 0] = time.time()

    # LIVE_BENCH_PORT: the polling server's port, the SSE server's the next one.
    port = bench_live.free_port()
    sse_port = port + 1 if os.getenv("LIVE_BENCH_PORT") else bench_live.free_port()
    seen = live.published_count(article.pk)
    shown_at = timezone.now().isoformat().replace("+", "%2B")
    print(
        f"\nLive updates, polling against server-sent events: {READERS:,} signed-out readers on "
        f"one article, a comment published every {PUBLISH_EVERY:.0f} s, on {os.cpu_count()} "
        f"cores (server CPU from /proc)"
    )
    try:
        polling = polling_figures(
            port, env, f"/live/articles/{article.pk}/?since={shown_at}&seen={seen}", publish
        )
        published.clear()  # the SSE delays count the SSE half's publications only
        seen = live.published_count(article.pk)
        stream = f"/sse/articles/{article.pk}/?seen={seen}"
        through = sse_figures(sse_port, env, stream, publish, published, early=False)
        published.clear()
        before = sse_figures(sse_port, env, stream, publish, published, early=True)
        compare(polling, [("through Django", through), ("before Django ", before)])
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
