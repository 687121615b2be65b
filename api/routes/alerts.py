"""Alerts: list, read, acknowledge and close them, and follow them live (Server-Sent Events).

Every user sees only alerts routed to their own agency (a user with no agency, a national role, sees
all); reads are purposed and audited like any read of a person's record. When SPR_ALERT_WEBHOOK_URL is
set, the process also posts new alerts to it (api.alerts_delivery).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.alerts_delivery import webhook_lifespan
from api.auth import User
from api.deps import DbDep, PurposeDep, require
from api.routes.persons import audit_read
from queries.alerts import Alert, AlertError, acknowledge, close_alert, get_alert, list_alerts

router = APIRouter(prefix="/alerts", tags=["alerts"], lifespan=webhook_lifespan)

AlertId = Annotated[str, Path(min_length=1, max_length=64)]
Status = Annotated[str | None, Query(pattern="^(OPEN|ACKNOWLEDGED|CLOSED)$")]
Kind = Annotated[str | None, Query(max_length=64, pattern="^[A-Z_]+$")]


class AlertsPage(BaseModel):
    data: list[Alert]
    count: int
    skip: int
    limit: int


class NoteIn(BaseModel):
    note: str = Field(min_length=1, max_length=2000)


def _scope(user: User) -> str | None:
    """The agency whose alerts the user sees; None for a user with no agency (a national role)."""
    return user.agency_code


@router.get("", response_model=AlertsPage)
def alerts(
    request: Request,
    db: DbDep,
    purpose: PurposeDep,
    user: Annotated[User, Depends(require("read_alerts"))],
    status: Status = None,
    kind: Kind = None,
    person_id: Annotated[str | None, Query(max_length=200)] = None,
    skip: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> AlertsPage:
    """Alerts routed to your agency, newest first, with the reason and the records that fired each."""
    found = list_alerts(
        db, agency=_scope(user), statuses=[status] if status else None, kinds=[kind] if kind else None,
        person_id=person_id, skip=skip, limit=limit,
    )  # fmt: skip
    audit_read(db, request, user, purpose, subject=f"alerts:{_scope(user) or 'all'}")
    return AlertsPage(data=found, count=len(found), skip=skip, limit=limit)


# Not in the OpenAPI document: a response that never ends cannot be described there (docs/alerts.md).
@router.get("/stream", include_in_schema=False)
async def stream(
    request: Request,
    db: DbDep,
    purpose: PurposeDep,
    user: Annotated[User, Depends(require("read_alerts"))],
    since: datetime | None = None,
    poll_seconds: Annotated[float, Query(ge=0.1, le=30)] = 1.0,
    max_events: Annotated[int | None, Query(ge=1, le=10_000)] = None,
    max_seconds: Annotated[float | None, Query(gt=0, le=86_400)] = None,
) -> StreamingResponse:
    """New alerts routed to your agency as Server-Sent Events (``event: alert``, ``id``: the alert id, ``data``:
    the alert as JSON), with a comment every poll as a heartbeat. ``since`` replays alerts created after it;
    ``max_events`` and ``max_seconds`` end the stream (a browser's EventSource reconnects by itself)."""
    agency = _scope(user)
    audit_read(db, request, user, purpose, subject=f"alerts-stream:{agency or 'all'}")
    cursor = since or datetime.now(UTC)
    if cursor.tzinfo is None:
        cursor = cursor.replace(tzinfo=UTC)

    async def events() -> AsyncIterator[str]:
        nonlocal cursor
        sent = 0
        started = time.monotonic()
        yield "retry: 2000\n\n"
        while True:
            fresh = await run_in_threadpool(list_alerts, db, agency=agency, since=cursor, limit=1000)
            for a in sorted(fresh, key=lambda a: (a.created_at, a.alert_id)):
                yield f"event: alert\nid: {a.alert_id}\ndata: {json.dumps(a.model_dump(mode='json'))}\n\n"
                sent += 1
                cursor = max(cursor, a.created_at)
                if max_events is not None and sent >= max_events:
                    return
            if max_seconds is not None and time.monotonic() - started >= max_seconds:
                return
            if await request.is_disconnected():
                return
            yield ": waiting\n\n"
            await asyncio.sleep(poll_seconds)

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )


@router.get("/{alert_id}", response_model=Alert)
def one_alert(
    request: Request,
    db: DbDep,
    purpose: PurposeDep,
    user: Annotated[User, Depends(require("read_alerts"))],
    alert_id: AlertId,
) -> Alert:
    found = get_alert(db, alert_id, _scope(user))
    audit_read(db, request, user, purpose, subject=f"alert:{alert_id}", outcome="ok" if found else "not found")
    if found is None:
        raise HTTPException(404, f"No alert {alert_id}")
    return found


def _change(
    request: Request, db: DbDep, purpose: PurposeDep, user: User, alert_id: str, note: str, closing: bool
) -> Alert:
    step = close_alert if closing else acknowledge
    try:
        changed = step(db, alert_id, user.username, note, agency=_scope(user))
    except AlertError as exc:
        missing = get_alert(db, alert_id, _scope(user)) is None
        audit_read(db, request, user, purpose, subject=f"alert:{alert_id}", outcome=f"refused: {exc}")
        raise HTTPException(404 if missing else 409, str(exc)) from exc
    audit_read(db, request, user, purpose, subject=f"alert:{alert_id}")
    return changed


@router.post("/{alert_id}/acknowledge", response_model=Alert)
def acknowledge_alert(
    request: Request,
    db: DbDep,
    purpose: PurposeDep,
    user: Annotated[User, Depends(require("ack_alerts"))],
    alert_id: AlertId,
    body: NoteIn,
) -> Alert:
    """Acknowledge an open alert with a note (what is being done)."""
    return _change(request, db, purpose, user, alert_id, body.note, closing=False)


@router.post("/{alert_id}/close", response_model=Alert)
def close(
    request: Request,
    db: DbDep,
    purpose: PurposeDep,
    user: Annotated[User, Depends(require("ack_alerts"))],
    alert_id: AlertId,
    body: NoteIn,
) -> Alert:
    """Close an open or acknowledged alert with a note (how it was dealt with)."""
    return _change(request, db, purpose, user, alert_id, body.note, closing=True)
