"""How an author is named to readers: their display name, or their username when they set none.

The display name is `User.first_name`: readers set it on their profile, and a newsroom's SSO
sign-in fills it with the name its own site shows. Moderators' pages keep the username, the
account's stable handle.
"""

from __future__ import annotations

from typing import Any


def public_name(user: Any) -> str:
    return (user.first_name or "").strip() or user.get_username()
