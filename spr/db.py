"""One Neo4j driver per process, and the idioms every layer uses to talk to the graph.

Reads go as read transactions (routed to readers in a cluster or Aura), writes as managed write
transactions (retried on transient errors and leader changes, so they must be idempotent), and the
database name is always passed. Query text is typed LiteralString: values travel only as parameters.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, LiteralString, TypeVar

import neo4j
from neo4j import Driver, GraphDatabase, ManagedTransaction, RoutingControl
from neo4j.exceptions import AuthError, ConfigurationError, ServiceUnavailable

from spr.settings import ConfigurationError as SettingsError
from spr.settings import Settings, get_settings

T = TypeVar("T")

BOLT_SCHEMES = frozenset({"bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc"})


class DatabaseUnavailable(RuntimeError):
    """The graph cannot be reached or refused the credentials; the message says which and what to do."""


@dataclass(frozen=True)
class ConnectionInfo:
    uri: str
    user: str
    password: str
    database: str
    local: bool


def connection_info(settings: Settings | None = None) -> ConnectionInfo:
    """Where to connect: NEO4J_URI when set, else the local server this project runs."""
    s = settings or get_settings()
    if s.neo4j_uri:
        pw = s.neo4j_password.get_secret_value() if s.neo4j_password else ""
        return ConnectionInfo(s.neo4j_uri, s.neo4j_user, pw, s.neo4j_database, local=False)
    from spr.localserver import LocalServerError, main_instance

    inst = main_instance(s.neo4j_dir)
    if not inst.configured:
        raise DatabaseUnavailable(
            "NEO4J_URI is not set and the local Neo4j has not been set up: run `spr neo4j install` and "
            "`spr neo4j start` (or `make neo4j`), or set NEO4J_URI, NEO4J_USER and NEO4J_PASSWORD"
        )
    try:
        password = inst.password()
    except LocalServerError as exc:
        raise DatabaseUnavailable(str(exc)) from exc
    return ConnectionInfo(inst.bolt_uri("neo4j"), "neo4j", password, s.neo4j_database, local=True)


class Database:
    """A driver plus the database name; the only object the layers use to run Cypher."""

    def __init__(self, driver: Driver, database: str, uri: str = "") -> None:
        self.driver = driver
        self.database = database
        self.uri = uri

    @classmethod
    def connect(cls, info: ConnectionInfo | None = None, *, verify: bool = True) -> Database:
        info = info or connection_info()
        scheme = info.uri.split("://", 1)[0].lower() if "://" in info.uri else ""
        if scheme not in BOLT_SCHEMES:
            raise DatabaseUnavailable(
                f"NEO4J_URI {info.uri!r} is not a usable Neo4j URI: use one of "
                + ", ".join(f"{s}://" for s in sorted(BOLT_SCHEMES))
            )
        try:
            driver = GraphDatabase.driver(
                info.uri,
                auth=(info.user, info.password),
                max_connection_pool_size=64,
                connection_acquisition_timeout=30.0,
                notifications_min_severity="OFF",
            )
        except (ValueError, ConfigurationError) as exc:
            raise DatabaseUnavailable(f"NEO4J_URI {info.uri!r} is not a usable Neo4j URI: {exc}") from exc
        db = cls(driver, info.database, info.uri)
        if verify:
            db.verify()
        return db

    def verify(self) -> None:
        try:
            self.driver.verify_connectivity()
            self.driver.execute_query("RETURN 1", database_=self.database, routing_=RoutingControl.READ)
        except AuthError as exc:
            raise DatabaseUnavailable(
                f"Neo4j at {self.uri} refused the credentials for user; check NEO4J_USER / NEO4J_PASSWORD"
            ) from exc
        except (ServiceUnavailable, OSError) as exc:
            raise DatabaseUnavailable(
                f"Neo4j at {self.uri} is not reachable ({exc.__class__.__name__}); is it running? "
                "`spr neo4j status` tells for the local server"
            ) from exc

    def close(self) -> None:
        self.driver.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the idioms -------------------------------------------------------------------------------
    def read(self, query: LiteralString, **params: Any) -> list[dict[str, Any]]:
        """Run a read query (routed to a reader) and return its records as dicts."""
        records, _, _ = self.driver.execute_query(query, params, database_=self.database, routing_=RoutingControl.READ)
        return [r.data() for r in records]

    def write(self, query: LiteralString, **params: Any) -> list[dict[str, Any]]:
        """Run one write query in a managed (retried) write transaction."""
        records, _, _ = self.driver.execute_query(query, params, database_=self.database, routing_=RoutingControl.WRITE)
        return [r.data() for r in records]

    def execute_write(self, work: Callable[[ManagedTransaction], T]) -> T:
        """Run a unit of work in one managed write transaction: all of it commits, or none."""
        with self.driver.session(database=self.database) as session:
            return session.execute_write(work)

    def execute_read(self, work: Callable[[ManagedTransaction], T]) -> T:
        with self.driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS) as session:
            return session.execute_read(work)

    def run_auto(self, query: LiteralString, **params: Any) -> None:
        """Run in an auto-commit transaction: needed for CALL { } IN TRANSACTIONS and schema commands."""
        with self.driver.session(database=self.database) as session:
            session.run(query, params).consume()

    def server_info(self) -> dict[str, Any]:
        rows = self.read(
            "CALL dbms.components() YIELD name, versions, edition RETURN name, versions[0] AS version, edition"
        )
        return rows[0] if rows else {}


_lock = threading.Lock()
_db: Database | None = None


def get_database() -> Database:
    """The process-wide Database (one driver per process)."""
    global _db
    with _lock:
        if _db is None:
            try:
                _db = Database.connect()
            except SettingsError as exc:
                raise DatabaseUnavailable(str(exc)) from exc
        return _db


def close_database() -> None:
    global _db
    with _lock:
        if _db is not None:
            _db.close()
            _db = None
