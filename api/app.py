"""The FastAPI application: one driver per process on app.state, routes under /api/v1."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import errors
from api.routes import admin, alerts, nominations, pages, persons, reports, system
from api.routes import ingest as ingest_routes
from api.routes import review as review_routes
from spr.db import Database, get_database

API_PREFIX = "/api/v1"


def create_app(db_factory: Callable[[], Database] = get_database) -> FastAPI:
    """Build the app. db_factory gives the process-wide Database (connected lazily, so the API starts,
    and answers 503, while the database is down)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.db_factory = db_factory
        yield

    app = FastAPI(
        title="Serial Perpetrator Register API",
        version="1",
        lifespan=lifespan,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # the Swagger page loads from a CDN; pages must work offline
        redoc_url=None,
    )
    app.state.db_factory = db_factory
    errors.install(app)
    app.include_router(system.router, prefix=API_PREFIX)
    app.include_router(admin.router, prefix=API_PREFIX)
    app.include_router(persons.router, prefix=API_PREFIX)
    app.include_router(nominations.router, prefix=API_PREFIX)
    app.include_router(reports.router, prefix=API_PREFIX)
    app.include_router(alerts.router, prefix=API_PREFIX)
    app.include_router(ingest_routes.router, prefix=API_PREFIX)
    app.include_router(review_routes.router, prefix=API_PREFIX)
    app.include_router(pages.router)
    return app
