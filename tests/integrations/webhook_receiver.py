"""A webhook receiver for the tests: a real HTTP server on 127.0.0.1, in a thread of the test."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    # The status of each answer in turn; the last one repeats.
    statuses: list[int] = field(default_factory=lambda: [200])
    # Seconds to wait before answering (a slow endpoint).
    delay: float = 0.0
    requests: list[Received] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        """Wait until `count` requests have arrived; return them (fewer if it timed out)."""
        with self.changed:
            self.changed.wait_for(lambda: len(self.requests) >= count, timeout=timeout)
            return list(self.requests)


@contextmanager
def webhook_receiver(statuses: list[int] | None = None, delay: float = 0.0) -> Iterator[Receiver]:
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with receiver.changed:
                index = len(receiver.requests)
                receiver.requests.append(Received(self.path, dict(self.headers), body))
                receiver.changed.notify_all()
            if receiver.delay:
                time.sleep(receiver.delay)  # the slow endpoint the test wants, not a wait
            status = receiver.statuses[min(index, len(receiver.statuses) - 1)]
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if status < 300 else b"receiver says no")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver = Receiver(
        url=f"http://127.0.0.1:{server.server_address[1]}/hooks/newsroom",
        statuses=statuses or [200],
        delay=delay,
    )
    thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
