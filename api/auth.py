"""Users with hashed secrets (argon2), and signed, expiring bearer tokens (JWT, HS256)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel

from graph_schema import vocabulary
from spr.db import Database
from spr.settings import PLACEHOLDER_SECRETS, ConfigurationError, get_settings

ALGORITHM = "HS256"
_hasher = PasswordHasher()
# Verifying against this keeps the time of a login for an unknown user the same as for a known one.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class User(BaseModel):
    username: str
    roles: tuple[str, ...]
    agency_code: str | None = None
    disabled: bool = False

    def permissions(self) -> frozenset[str]:
        v = vocabulary()
        return frozenset(p for r in self.roles if r in v.roles for p in v.roles[r].permissions)

    def can(self, permission: str) -> bool:
        return permission in self.permissions()

    @property
    def agency_scoped(self) -> bool:
        v = vocabulary()
        return any(v.roles[r].agency_scoped for r in self.roles if r in v.roles) and not any(
            not v.roles[r].agency_scoped for r in self.roles if r in v.roles
        )


class UserError(ValueError):
    """A user cannot be created as asked; the message names the field."""


@lru_cache(maxsize=1)
def signing_key() -> str:
    s = get_settings()
    key = s.secret_key.get_secret_value() if s.secret_key else ""
    if len(key) >= 32 and key.lower() not in PLACEHOLDER_SECRETS:
        return key
    if s.demo_mode:
        return secrets.token_urlsafe(48)  # demo: tokens last as long as the process
    raise ConfigurationError("SPR_SECRET_KEY must be set to a random string of at least 32 characters")


def create_user(db: Database, username: str, password: str, roles: list[str], agency_code: str | None = None) -> User:
    v = vocabulary()
    if not username or len(username) > 64 or not username.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise UserError("username: 1-64 letters, digits, '.', '-' or '_'")
    if len(password) < 12 or password.lower() in PLACEHOLDER_SECRETS:
        raise UserError("password: at least 12 characters, and not a placeholder")
    unknown = [r for r in roles if r not in v.roles]
    if not roles or unknown:
        raise UserError(f"roles: unknown {unknown}; choose from {', '.join(v.roles)}")
    if any(v.roles[r].agency_scoped for r in roles) and not agency_code:
        raise UserError("agency_code: required for an agency-scoped role")
    db.write(
        """
        MERGE (u:User {username: $username})
        SET u.password_hash = $hash, u.roles = $roles, u.agency_code = $agency, u.disabled = false,
            u.created_at = coalesce(u.created_at, datetime())
        """,
        username=username,
        hash=_hasher.hash(password),
        roles=roles,
        agency=agency_code,
    )
    return User(username=username, roles=tuple(roles), agency_code=agency_code)


def get_user(db: Database, username: str) -> User | None:
    rows = db.read(
        "MATCH (u:User {username: $username}) RETURN u.roles AS roles, u.agency_code AS agency, "
        "coalesce(u.disabled, false) AS disabled",
        username=username,
    )
    if not rows:
        return None
    r = rows[0]
    return User(username=username, roles=tuple(r["roles"] or ()), agency_code=r["agency"], disabled=r["disabled"])


def authenticate(db: Database, username: str, password: str) -> User | None:
    rows = db.read("MATCH (u:User {username: $username}) RETURN u.password_hash AS hash", username=username)
    stored = rows[0]["hash"] if rows else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if not rows:
        return None
    user = get_user(db, username)
    return None if user is None or user.disabled else user


def issue_token(user: User, ttl_minutes: int | None = None) -> tuple[str, int]:
    ttl = ttl_minutes or get_settings().token_ttl_minutes
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": user.username,
        "roles": list(user.roles),
        "agency": user.agency_code,
        "iat": now,
        "exp": now + timedelta(minutes=ttl),
        "jti": secrets.token_hex(8),
    }
    return jwt.encode(claims, signing_key(), algorithm=ALGORITHM), ttl * 60


def decode_token(token: str) -> dict[str, Any]:
    """The token's claims; raises jwt.PyJWTError when it is forged, malformed or expired."""
    return jwt.decode(token, signing_key(), algorithms=[ALGORITHM], options={"require": ["sub", "exp", "iat"]})
