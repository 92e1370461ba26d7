"""integrations.sso.verify_token: a host site's HS256 token in Coral's claim shape, or a refusal
that says why."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest

from integrations.sso import SsoError, verify_token

SECRET = "the-host-sites-shared-secret-" + "x" * 40  # 64 bytes and more: no key warning


def now() -> int:
    # Read at each call, not at import: a long test run would otherwise age every token.
    return int(time.time())


def token(secret: str = SECRET, algorithm: str = "HS256", **claims: Any) -> str:
    payload = {
        "iat": now(),
        "exp": now() + 300,
        "user": {"id": "42", "email": "ada@example.org", "username": "Ada L."},
        **claims,
    }
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, secret, algorithm)


def verify(raw: str, secrets: list[str] | None = None) -> Any:
    return verify_token(raw, secrets=[SECRET] if secrets is None else secrets, max_lifetime=600)


def test_it_reads_corals_claims() -> None:
    claims = verify(token(jti="a-uuid", iss="gazette"))

    assert (claims.issuer, claims.subject) == ("gazette", "42")
    assert (claims.email, claims.name) == ("ada@example.org", "Ada L.")


def test_it_accepts_any_secret_of_a_rotation() -> None:
    assert (
        verify(
            token(secret="the-new-secret-of-the-rotation-at-least-32b"),
            secrets=[SECRET, "the-new-secret-of-the-rotation-at-least-32b"],
        ).subject
        == "42"
    )


def test_it_takes_the_standard_claims_when_there_is_no_user_object() -> None:
    claims = verify(token(user=None, sub="7", email="b@example.org", name="Bo"))

    assert (claims.subject, claims.email, claims.name) == ("7", "b@example.org", "Bo")


def unsigned() -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    payload = {
        "iat": now(),
        "exp": now() + 60,
        "user": {"id": "1", "email": "x@y.z", "username": "x"},
    }
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}."


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (lambda: token(exp=now() - 120), "has expired"),
        (
            lambda: token(secret="somebody-elses-secret-at-least-32-bytes"),
            "matches none of this site's SSO secrets",
        ),
        (unsigned, "unsigned"),
        (lambda: token(algorithm="HS512"), "only HS256 is accepted"),
        (lambda: token(exp=None), "no “exp” claim"),
        (lambda: token(iat=None), "no “iat” claim"),
        (lambda: token(iat=now() + 3600, exp=now() + 3700), "issued in the future"),
        (lambda: token(exp=now() + 86400), "at most 600 are accepted"),
        (lambda: token(user={"id": "", "email": "a@b.c", "username": "A"}), "“user.id”"),
        (lambda: token(user={"id": "1", "username": "A"}), "“user.email”"),
        (lambda: token(user={"id": "1", "email": "a@b.c", "username": "A" * 151}), "longer"),
        (lambda: "not-a-jwt", "not a JWT"),
        (lambda: "", "No sign-in token"),
    ],
    ids=[
        "expired",
        "wrong-secret",
        "alg-none",
        "other-algorithm",
        "no-exp",
        "no-iat",
        "future",
        "long-lived",
        "no-id",
        "no-email",
        "long-name",
        "garbage",
        "empty",
    ],
)
def test_it_refuses_with_a_clear_message(raw: Any, message: str) -> None:
    with pytest.raises(SsoError, match=message):
        verify(raw())


def test_it_refuses_everything_when_no_secret_is_configured() -> None:
    with pytest.raises(SsoError, match="not configured"):
        verify(token(), secrets=[])
