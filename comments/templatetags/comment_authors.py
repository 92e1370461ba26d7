"""`{{ user|public_name }}`: the name readers see on a comment (see comments.authors)."""

from __future__ import annotations

from typing import Any

from django import template

from comments.authors import public_name as _public_name

register = template.Library()


@register.filter
def public_name(user: Any) -> str:
    return _public_name(user)
