"""`manage.py create_api_key NAME`: the key, once, on the last line; stored only hashed."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from integrations import services
from integrations.models import ApiKey, hash_key

pytestmark = pytest.mark.django_db


def test_it_prints_the_key_on_its_last_line_and_stores_it_hashed() -> None:
    out = StringIO()

    call_command("create_api_key", "coral", "--rate-limit", "120", stdout=out)

    raw = out.getvalue().splitlines()[-1]
    api_key = ApiKey.objects.get(name="coral")
    assert api_key.key_hash == hash_key(raw) != raw
    assert raw not in api_key.key_hash and raw.startswith(f"nk_{api_key.prefix}_")
    assert api_key.limit_per_minute == 120
    assert services.authenticate_api_key(raw=raw) == api_key


def test_it_refuses_a_name_taken() -> None:
    call_command("create_api_key", "coral", stdout=StringIO())

    with pytest.raises(CommandError, match="exists already"):
        call_command("create_api_key", "coral", stdout=StringIO())


def test_it_grants_rest_api_scopes_to_a_moderator_owned_key() -> None:
    from tests.factories import make_moderator

    make_moderator("mona")

    call_command(
        "create_api_key",
        "desk",
        "--scope",
        "moderate",
        "--scope",
        "stories:read",
        "--owner",
        "mona",
        stdout=StringIO(),
    )

    api_key = ApiKey.objects.get(name="desk")
    assert api_key.scopes == ["moderate", "stories:read"] and api_key.owner.username == "mona"
    assert api_key.grants("moderate")


def test_it_refuses_moderator_scopes_without_a_moderator_owner() -> None:
    with pytest.raises(CommandError, match="owned by a moderator"):
        call_command("create_api_key", "desk", "--scope", "moderate", stdout=StringIO())
    with pytest.raises(CommandError, match="No user"):
        call_command("create_api_key", "desk", "--owner", "ghost", stdout=StringIO())
    assert not ApiKey.objects.exists()
