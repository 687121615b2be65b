"""Posting alerts to a configured webhook, with bounded retries and backoff.

SPR_ALERT_WEBHOOK_URL            where to POST (unset: no webhook)
SPR_ALERT_WEBHOOK_SECRET         when set, each body is signed: header X-SPR-Signature: sha256=<hex HMAC>
SPR_ALERT_WEBHOOK_ATTEMPTS       tries per delivery (default 4)
SPR_ALERT_WEBHOOK_POLL_SECONDS   how often the API process looks for new alerts to post (default 1)
SPR_ALERT_WEBHOOK_BACKLOG_HOURS  on start, post undelivered alerts up to this old (default 24)

The body is ``{"alerts": [Alert, ...]}``. A connection error, a timeout, 429 or a 5xx is retried after
``backoff * 2**n`` seconds; any other status is final. Delivery is at least once: a receiver should
de-duplicate on ``alert_id``. The graph is the outbox: each alert posted is marked ``delivered_at``, and
the dispatcher posts the ones not marked, so alerts raised while no API process ran, or while the webhook
or the database was down, are posted when both are back.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from queries.alerts import Alert, mark_delivered, undelivered_alerts

log = logging.getLogger("spr.alerts.webhook")
URL_ENV = "SPR_ALERT_WEBHOOK_URL"
SECRET_ENV = "SPR_ALERT_WEBHOOK_SECRET"
ATTEMPTS_ENV = "SPR_ALERT_WEBHOOK_ATTEMPTS"
POLL_ENV = "SPR_ALERT_WEBHOOK_POLL_SECONDS"
BACKLOG_ENV = "SPR_ALERT_WEBHOOK_BACKLOG_HOURS"


@dataclass
class DeliveryReport:
    delivered: bool
    attempts: int
    status: int | None = None
    errors: list[str] = field(default_factory=list)


def webhook_url() -> str | None:
    return os.environ.get(URL_ENV) or None


def _body(alerts: list[Alert]) -> bytes:
    return json.dumps({"alerts": [a.model_dump(mode="json") for a in alerts]}, sort_keys=True).encode()


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(
    alerts: list[Alert],
    url: str | None = None,
    *,
    attempts: int | None = None,
    backoff: float = 0.5,
    timeout: float = 5.0,
    secret: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryReport:
    """POST the alerts to the webhook; retry transient failures up to ``attempts`` times in all."""
    target = url or webhook_url()
    if not target:
        raise ValueError(f"no webhook configured ({URL_ENV})")
    tries = attempts or int(os.environ.get(ATTEMPTS_ENV, "4"))
    body = _body(alerts)
    headers = {"Content-Type": "application/json", "User-Agent": "spr-alerts/1"}
    key = secret if secret is not None else os.environ.get(SECRET_ENV)
    if key:
        headers["X-SPR-Signature"] = sign(body, key)
    report = DeliveryReport(delivered=False, attempts=0)
    with httpx.Client(timeout=timeout) as client:
        for n in range(tries):
            report.attempts = n + 1
            try:
                resp = client.post(target, content=body, headers=headers)
            except httpx.HTTPError as exc:
                report.errors.append(f"{exc.__class__.__name__}: {exc}")
            else:
                report.status = resp.status_code
                if resp.is_success:
                    report.delivered = True
                    return report
                report.errors.append(f"HTTP {resp.status_code}")
                if resp.status_code != 429 and resp.status_code < 500:
                    return report
            if n + 1 < tries:
                sleep(backoff * 2**n)
    return report


async def dispatch_forever(app: FastAPI, url: str, poll_seconds: float, backlog_hours: float = 24.0) -> None:
    """Post undelivered alerts, oldest first, as they appear; mark each batch delivered once it is accepted."""
    from datetime import timedelta

    since = datetime.now(UTC) - timedelta(hours=backlog_hours)
    wait = poll_seconds
    while True:
        await asyncio.sleep(wait)
        try:
            db = app.state.db_factory()
            fresh = await run_in_threadpool(undelivered_alerts, db, since, 500)
        except Exception as exc:  # the database may be down: try again on the next tick
            log.warning("alert webhook: could not read alerts: %s", exc)
            continue
        if not fresh:
            wait = poll_seconds
            continue
        report = await run_in_threadpool(deliver, fresh, url)
        if not report.delivered:
            log.error("alert webhook: %d alert(s) not delivered after %d attempts: %s", len(fresh), report.attempts,
                      "; ".join(report.errors))  # fmt: skip
            wait = min(max(wait * 2, poll_seconds), 60.0)  # the receiver is down: back off, keep them queued
            continue
        wait = poll_seconds
        try:
            await run_in_threadpool(mark_delivered, db, [a.alert_id for a in fresh])
        except Exception as exc:  # posted but not marked: they will be posted again (at least once)
            log.warning("alert webhook: delivered but could not mark %d alert(s): %s", len(fresh), exc)


@asynccontextmanager
async def webhook_lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    """Runs the dispatcher beside the API when a webhook is configured."""
    url = webhook_url()
    task = None
    if url:
        poll, backlog = float(os.environ.get(POLL_ENV, "1")), float(os.environ.get(BACKLOG_ENV, "24"))
        task = asyncio.create_task(dispatch_forever(app, url, poll, backlog))
    try:
        yield {}
    finally:
        if task is not None:
            task.cancel()
