"""Dependencies: the database, the current user, permissions, and the stated purpose (audited)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import jwt
from fastapi import Depends, Header, HTTPException, Request
from fastapi.security import OAuth2PasswordBearer

from api.auth import User, decode_token, get_user
from graph_schema import vocabulary
from spr.db import Database

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
# The web pages keep the same bearer token in an HttpOnly, SameSite=Strict cookie.
TOKEN_COOKIE = "spr_token"


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db_factory()
    return db


DbDep = Annotated[Database, Depends(get_db)]


def _unauthorised(detail: str = "Invalid or expired token") -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def _claims(request: Request, bearer: str | None) -> dict[str, Any]:
    token = bearer or request.cookies.get(TOKEN_COOKIE)
    if not token:
        raise _unauthorised("Not authenticated")
    try:
        return decode_token(token)
    except jwt.PyJWTError:
        raise _unauthorised() from None


async def token_claims(request: Request, bearer: Annotated[str | None, Depends(oauth2)]) -> dict[str, Any]:
    """The bearer token's (or the page cookie's) verified claims, with no database read: a coroutine, run on
    the event loop. Whoever uses it must still look the user up (``user_of``)."""
    return _claims(request, bearer)


def user_of(db: Database, claims: dict[str, Any]) -> User:
    """The token's user as stored now: a disabled or deleted user's tokens stop working at once."""
    user = get_user(db, str(claims["sub"]))
    if user is None or user.disabled:
        raise _unauthorised()
    return user


def current_user(request: Request, db: DbDep, bearer: Annotated[str | None, Depends(oauth2)]) -> User:
    return user_of(db, _claims(request, bearer))


CurrentUser = Annotated[User, Depends(current_user)]


def check_permission(user: User, permission: str) -> User:
    if not user.can(permission):
        raise HTTPException(403, f"Your role does not allow this ({permission})")
    return user


def known_permission(permission: str) -> str:
    if permission not in vocabulary().permissions:
        raise ValueError(f"unknown permission {permission!r}")
    return permission


def require(permission: str) -> Callable[[User], Awaitable[User]]:
    known_permission(permission)

    # Pure checks are coroutines: FastAPI runs them on the event loop instead of a worker thread.
    async def check(user: CurrentUser) -> User:
        return check_permission(user, permission)

    return check


class Purpose:
    """Why a person's record is read: an enumerated reason plus free text (headers, as PND requires)."""

    def __init__(self, code: str, detail: str) -> None:
        self.code, self.detail = code, detail


async def stated_purpose(
    x_spr_purpose: Annotated[str | None, Header(description="One of the enumerated purposes (roles.yaml)")] = None,
    x_spr_purpose_detail: Annotated[str | None, Header(max_length=500, description="Free text")] = None,
) -> Purpose:
    purposes = vocabulary().purposes
    if not x_spr_purpose or x_spr_purpose not in purposes:
        raise HTTPException(
            428,
            "State why you are reading this record: header X-SPR-Purpose, one of " + ", ".join(purposes),
        )
    if not x_spr_purpose_detail or not x_spr_purpose_detail.strip():
        raise HTTPException(428, "Describe the purpose in header X-SPR-Purpose-Detail (free text)")
    return Purpose(x_spr_purpose, x_spr_purpose_detail.strip())


PurposeDep = Annotated[Purpose, Depends(stated_purpose)]
