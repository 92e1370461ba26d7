"""Locust users for scripts/bench_load.py, configured by environment variables.

LOAD_MODE=get: each user fetches LOAD_PATH as fast as it can, sending LOAD_COOKIE if set.
LOAD_MODE=post: each user posts one comment a second to LOAD_PATH, user i signed in with the
i-th cookie of LOAD_COOKIES (JSON; none for the anchor), with a CSRF token if LOAD_CSRF is set.
"""

from __future__ import annotations

import itertools
import json
import os

from locust import FastHttpUser, constant, constant_throughput, task

MODE = os.environ.get("LOAD_MODE", "get")
PATH = os.environ.get("LOAD_PATH", "/")
TAG = os.environ.get("LOAD_TAG", "load")
CSRF = os.environ.get("LOAD_CSRF", "")
COOKIES: list[str] = json.loads(os.environ.get("LOAD_COOKIES", "[]"))
_users = itertools.count()
_posts = itertools.count()


class Reader(FastHttpUser):
    wait_time = constant(0) if MODE == "get" else constant_throughput(1)

    def on_start(self) -> None:
        index = next(_users)
        self.headers = {"Origin": (self.host or "").rstrip("/")}
        cookie = COOKIES[index % len(COOKIES)] if COOKIES else os.environ.get("LOAD_COOKIE", "")
        if CSRF:
            cookie = f"{cookie}; csrftoken={CSRF}".lstrip("; ")
            self.headers |= {"X-CSRFToken": CSRF, "HX-Request": "true"}
        if cookie:
            self.headers["Cookie"] = cookie

    @task
    def load(self) -> None:
        if MODE == "get":
            self.client.get(PATH, headers=self.headers)
        else:
            body = f"{TAG} comment {next(_posts)}: the council waited far too long on this."
            self.client.post(PATH, data={"body": body}, headers=self.headers)
