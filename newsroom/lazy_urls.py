"""A namespaced `include()` whose patterns are built on the first request or reverse under it.

The REST API's URLconf is django-ninja's: building it imports ninja, pydantic and django.test
(with Jinja2 and unittest) and builds a pydantic model per schema, about 9 MB in each web process.
Most web processes never serve the API, so its patterns load only when a path under its prefix is
resolved or a name in its namespace is reversed (or the system checks walk the URLconf).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

from django.urls import URLPattern, URLResolver
from django.urls.resolvers import RoutePattern

Patterns = Sequence[URLPattern | URLResolver]


class LazyURLResolver(URLResolver):
    """`path(route, include((load(), app_name), namespace))`, calling `load` only when needed."""

    def __init__(
        self, route: str, load: Callable[[], Patterns], *, app_name: str, namespace: str
    ) -> None:
        # A namespace is required: the root resolver then records only this resolver's prefix
        # when it populates, rather than copying the names of its patterns into its own.
        # urlconf_name only names the loader in messages: urlconf_module below replaces its import.
        name = f"{load.__module__}.{load.__qualname__}()"
        pattern = RoutePattern(route, is_endpoint=False)
        super().__init__(pattern, name, app_name=app_name, namespace=namespace)
        self._load = load
        self._load_lock = threading.Lock()
        self._loaded: Patterns | None = None
        self._wanted = False

    @cached_property
    def urlconf_module(self) -> Patterns:  # type: ignore[override]
        # Threaded workers could ask at once: the first builds the patterns, the others wait.
        with self._load_lock:
            if self._loaded is None:
                self._loaded = self._load()
            return self._loaded

    def _populate(self) -> None:
        # The root resolver calls this for every child the first time anything is reversed:
        # do nothing then, unless the patterns are already loaded or our own names are wanted.
        if self._wanted or "urlconf_module" in self.__dict__:
            super()._populate()

    @property
    def reverse_dict(self) -> Any:
        self._wanted = True
        return super().reverse_dict

    @property
    def namespace_dict(self) -> Any:
        self._wanted = True
        return super().namespace_dict

    @property
    def app_dict(self) -> Any:
        self._wanted = True
        return super().app_dict
