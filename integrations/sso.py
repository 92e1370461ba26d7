"""Single sign-on for the embed: verify a host site's short-lived HS256 token, as Coral's SSO does.

The token's claims mirror Coral's (docs "Single Sign On": `user.id`, `user.email` and
`user.username` required, `iat` and `exp` as Unix times, `jti` optional), so a site that signs
tokens for Coral signs ours the same way. Unlike Coral, `iat` and `exp` are required and the
token may live at most `max_lifetime` seconds: it is a sign-in ticket, not a session. Pure: no
Django, no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ALGORITHM = "HS256"
# Clocks differ between the host's servers and ours; this much is forgiven either way.
LEEWAY_SECONDS = 30
MAX_TOKEN_LENGTH = 4096
MAX_ID_LENGTH = 255
MAX_NAME_LENGTH = 150
MAX_EMAIL_LENGTH = 254


class SsoError(Exception):
    """A token refused; the message says why, in words a host site's developer can act on."""


@dataclass(frozen=True)
class SsoClaims:
    issuer: str  # the token's `iss`, or "" (the caller then keys the reader by the embedding site)
    subject: str  # the host's user id
    email: str
    name: str  # the host's display name for the user (Coral's `user.username`)


def _text(value: Any, claim: str, limit: int) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise SsoError(f"The sign-in token's “{claim}” claim is missing or empty.")
    value = " ".join(value.split())
    if len(value) > limit:
        raise SsoError(f"The sign-in token's “{claim}” claim is longer than {limit} characters.")
    return value


def verify_token(token: str, *, secrets: list[str], max_lifetime: int) -> SsoClaims:
    """The claims of `token` if one of `secrets` signed it (HS256) and it is fresh; else raise."""
    if not secrets:
        raise SsoError("Single sign-on is not configured on this site (no EMBED_SSO_SECRETS).")
    token = token.strip()
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise SsoError("No sign-in token was given, or it is too long to be one.")
    # Performance: PyJWT imports `cryptography` (its RSA and EC keys, X.509), about 9 MB in each
    # web process, which only an embed's sign-in needs.
    import jwt

    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError as error:
        raise SsoError("This is not a sign-in token: it is not a JWT.") from error
    algorithm = str(header.get("alg", ""))
    if algorithm.lower() == "none":
        raise SsoError("This sign-in token is unsigned (alg “none”): it is refused.")
    if algorithm != ALGORITHM:
        raise SsoError(f"This sign-in token is signed with {algorithm}: only HS256 is accepted.")

    payload: dict[str, Any] | None = None
    for secret in secrets:  # several while a secret is rolled over
        try:
            payload = jwt.decode(
                token,
                secret,
                algorithms=[ALGORITHM],
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat"]},
            )
            break
        except jwt.InvalidSignatureError:
            continue
        except jwt.ExpiredSignatureError as error:
            raise SsoError(
                "This sign-in token has expired: the site must sign a new one."
            ) from error
        except jwt.ImmatureSignatureError as error:
            raise SsoError(
                "This sign-in token is issued in the future: check the clock."
            ) from error
        except jwt.MissingRequiredClaimError as error:
            raise SsoError(f"The sign-in token has no “{error.claim}” claim.") from error
        except jwt.InvalidTokenError as error:
            raise SsoError(f"This sign-in token is malformed: {error}.") from error
    if payload is None:
        raise SsoError("This sign-in token's signature matches none of this site's SSO secrets.")

    lifetime = payload["exp"] - payload["iat"]
    if lifetime > max_lifetime:
        raise SsoError(
            f"This sign-in token lives {lifetime} seconds; at most {max_lifetime} are accepted."
        )
    user = payload.get("user")
    if not isinstance(user, dict):
        user = {}
    issuer = payload.get("iss", "")
    return SsoClaims(
        issuer=_text(issuer, "iss", 100) if issuer else "",
        subject=_text(user.get("id", payload.get("sub")), "user.id", MAX_ID_LENGTH),
        email=_text(user.get("email", payload.get("email")), "user.email", MAX_EMAIL_LENGTH),
        name=_text(user.get("username", payload.get("name")), "user.username", MAX_NAME_LENGTH),
    )
