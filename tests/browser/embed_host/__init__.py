"""A host site for the embed's browser tests: story.html served from an origin of its own.

Newsroom's live server answers on http://localhost:<port>; this serves on http://127.0.0.1:<port>,
another origin and another site for the browser, as a newsroom's CMS would be. By hand:
`python -m tests.browser.embed_host http://localhost:8000 8141` serves the page on 127.0.0.1:8141.
"""

from __future__ import annotations

import html
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PAGE = Path(__file__).with_name("story.html")


class HostSite(ThreadingHTTPServer):
    newsroom: str
    sso_token: str = ""

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class StoryPage(BaseHTTPRequestHandler):
    server: HostSite

    def do_GET(self) -> None:
        token = self.server.sso_token
        body = (
            PAGE.read_text()
            .replace("__NEWSROOM__", self.server.newsroom)
            .replace("__HOST__", self.server.origin)
            .replace("__SSO__", f' data-newsroom-sso-token="{html.escape(token)}"' if token else "")
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve(newsroom: str, port: int = 0) -> Iterator[HostSite]:
    """Serve the story page on 127.0.0.1 (any free port by default) while the block runs."""
    site = HostSite(("127.0.0.1", port), StoryPage)
    site.newsroom = newsroom.rstrip("/")
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        site.shutdown()
        site.server_close()
        thread.join()


def main() -> None:
    """`python -m tests.browser.embed_host NEWSROOM_URL [PORT]`: serve the page until stopped."""
    with serve(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0) as running:
        print(f"The host page: {running.origin}/2026/12/harbour-wall", flush=True)
        threading.Event().wait()
