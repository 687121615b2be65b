"""One Neo4j driver per process, and the idioms every layer uses to talk to the graph.

Reads go as read transactions (routed to readers in a cluster or Aura), writes as managed write
transactions (retried on transient errors and leader changes, so they must be idempotent), and the
database name is always passed. Query text is typed LiteralString: values travel only as parameters.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, LiteralString, TypeVar
from urllib.parse import urlsplit

import neo4j
from neo4j import Driver, GraphDatabase, ManagedTransaction, RoutingControl
from neo4j.exceptions import (
    AuthError,
    ClientError,
    ConfigurationError,
    DriverError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
)

from spr.settings import DEFAULT_RETRY_SECONDS, Settings, get_settings
from spr.settings import ConfigurationError as SettingsError

T = TypeVar("T")

BOLT_SCHEMES = frozenset({"bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc"})


class DatabaseUnavailable(RuntimeError):
    """The graph cannot be reached or refused the credentials; the message says which and what to do.

    ``reason`` is a short cause with no address, user or secret in it, fit for an unauthenticated caller
    (the API's readiness answer): "not reachable", "credentials refused", "URI not usable", ...
    """

    def __init__(self, message: str, reason: str = "not reachable") -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class ConnectionInfo:
    uri: str
    user: str
    password: str
    database: str
    local: bool
    retry_seconds: float = DEFAULT_RETRY_SECONDS  # max_transaction_retry_time (SPR_NEO4J_RETRY_SECONDS)


def connection_info(settings: Settings | None = None) -> ConnectionInfo:
    """Where to connect: NEO4J_URI when set, else the local server this project runs."""
    s = settings or get_settings()
    if s.neo4j_uri:
        pw = s.neo4j_password.get_secret_value() if s.neo4j_password else ""
        return ConnectionInfo(s.neo4j_uri, s.neo4j_user, pw, s.neo4j_database, False, s.neo4j_retry_seconds)
    from spr.localserver import LocalServerError, main_instance

    inst = main_instance(s.neo4j_dir)
    if not inst.configured:
        raise DatabaseUnavailable(
            "NEO4J_URI is not set and the local Neo4j has not been set up: run `spr neo4j install` and "
            "`spr neo4j start` (or `make neo4j`), or set NEO4J_URI, NEO4J_USER and NEO4J_PASSWORD",
            "settings invalid",
        )
    try:
        password = inst.password()
    except LocalServerError as exc:
        raise DatabaseUnavailable(str(exc), "settings invalid") from exc
    return ConnectionInfo(inst.bolt_uri("neo4j"), "neo4j", password, s.neo4j_database, True, s.neo4j_retry_seconds)


class Database:
    """A driver plus the database name; the only object the layers use to run Cypher."""

    def __init__(self, driver: Driver, database: str, uri: str = "", user: str = "") -> None:
        self.driver = driver
        self.database = database
        self.uri = uri
        self.user = user
        self._local = threading.local()  # the read transaction a thread's reads share (one_read)

    @classmethod
    def connect(cls, info: ConnectionInfo | None = None, *, verify: bool = True) -> Database:
        info = info or connection_info()
        check_uri(info.uri)
        try:
            driver = GraphDatabase.driver(
                info.uri,
                auth=(info.user, info.password),
                max_connection_pool_size=64,
                connection_acquisition_timeout=30.0,
                # Managed transactions (reads and writes) are retried this long on transient errors and
                # lost connections, so a restart or failover within it is survived without an error.
                max_transaction_retry_time=info.retry_seconds,
                notifications_min_severity="OFF",
            )
        except (ValueError, ConfigurationError) as exc:
            raise DatabaseUnavailable(f"NEO4J_URI {info.uri!r} is not a usable Neo4j URI: {exc}", _BAD_URI) from exc
        db = cls(driver, info.database, info.uri, info.user)
        if verify:
            db.verify()
        return db

    def verify(self) -> None:
        """Connect and run one read in the configured database; any failure is one DatabaseUnavailable
        whose message names the setting to check (and the driver is closed)."""
        try:
            self.driver.verify_connectivity()
            self.driver.execute_query("RETURN 1", database_=self.database, routing_=RoutingControl.READ)
        except BaseException as exc:
            self.driver.close()
            problem = self._explain(exc)
            if problem is None:
                raise
            raise problem from exc

    def _explain(self, exc: BaseException) -> DatabaseUnavailable | None:
        where = f"Neo4j at {self.uri}"
        if isinstance(exc, AuthError) or (
            isinstance(exc, ClientError) and (exc.code or "").startswith("Neo.ClientError.Security.")
        ):
            return DatabaseUnavailable(
                f"{where} refused the credentials of user {self.user!r}; check NEO4J_USER / NEO4J_PASSWORD",
                "credentials refused",
            )
        if isinstance(exc, ClientError) and exc.code == "Neo.ClientError.Database.DatabaseNotFound":
            return DatabaseUnavailable(
                f"{where} has no database {self.database!r}; check NEO4J_DATABASE", "database not found"
            )
        if isinstance(exc, ServiceUnavailable | SessionExpired | OSError):
            return DatabaseUnavailable(
                f"{where} is not reachable ({exc.__class__.__name__}); is it running? "
                "`spr neo4j status` tells for the local server"
            )
        if isinstance(exc, ValueError):  # the driver could not resolve the address (a malformed host or port)
            return DatabaseUnavailable(f"NEO4J_URI {self.uri!r} is not a usable Neo4j URI: {exc}", _BAD_URI)
        if isinstance(exc, Neo4jError | DriverError):
            return DatabaseUnavailable(f"{where} cannot be used: {exc}", "database error")
        return None

    def close(self) -> None:
        self.driver.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the idioms -------------------------------------------------------------------------------
    def _session(self, **config: Any) -> neo4j.Session:
        """A session sharing execute_query's bookmark manager: in a cluster every idiom reads its own writes
        (a read routed to a secondary waits until that server has applied the process's earlier writes)."""
        return self.driver.session(
            database=self.database, bookmark_manager=self.driver.execute_query_bookmark_manager, **config
        )

    @contextmanager
    def one_read(self) -> Iterator[None]:
        """Within the block, this thread's ``read`` calls share one read transaction: one session, one BEGIN
        and one COMMIT for several queries (a profile's five reads) instead of one each. Unlike a lone read,
        the transaction is not retried: a failure in the block raises, as a lost database does anywhere."""
        if getattr(self._local, "tx", None) is not None:
            yield  # already inside one
            return
        with self._session(default_access_mode=neo4j.READ_ACCESS) as session, session.begin_transaction() as tx:
            self._local.tx = tx
            try:
                yield
            finally:
                self._local.tx = None

    def read(self, query: LiteralString, **params: Any) -> list[dict[str, Any]]:
        """Run a read query (routed to a reader) and return its records as dicts."""
        return [r.data() for r in self.read_records(query, **params)]

    def read_records(self, query: LiteralString, **params: Any) -> list[neo4j.Record]:
        """``read``, with the records as the driver gives them (for a caller that converts them itself)."""
        tx: neo4j.Transaction | None = getattr(self._local, "tx", None)
        if tx is not None:
            return list(tx.run(query, params))
        records, _, _ = self.driver.execute_query(query, params, database_=self.database, routing_=RoutingControl.READ)
        return records

    def read_value(self, query: LiteralString, **params: Any) -> Any:
        """Run a read query that returns one row and give its first value as the driver decoded it, with no
        conversion: for a query that returns a long list as its one value (within ``one_read`` too)."""
        records = self.read_records(query, **params)
        if len(records) != 1:
            raise ValueError(f"expected one row, the query returned {len(records)}")
        return records[0][0]

    def write(self, query: LiteralString, **params: Any) -> list[dict[str, Any]]:
        """Run one write query in a managed (retried) write transaction."""
        return [r.data() for r in self.write_records(query, **params)]

    def write_records(self, query: LiteralString, **params: Any) -> list[neo4j.Record]:
        """``write``, with the records as the driver gives them."""
        records, _, _ = self.driver.execute_query(query, params, database_=self.database, routing_=RoutingControl.WRITE)
        return records

    def execute_write(self, work: Callable[[ManagedTransaction], T]) -> T:
        """Run a unit of work in one managed write transaction: all of it commits, or none."""
        with self._session() as session:
            return session.execute_write(work)

    def execute_read(self, work: Callable[[ManagedTransaction], T]) -> T:
        with self._session(default_access_mode=neo4j.READ_ACCESS) as session:
            return session.execute_read(work)

    def run_auto(self, query: LiteralString, **params: Any) -> None:
        """Run in an auto-commit transaction: needed for CALL { } IN TRANSACTIONS and schema commands."""
        with self._session() as session:
            session.run(query, params).consume()

    def server_info(self) -> dict[str, Any]:
        rows = self.read(
            "CALL dbms.components() YIELD name, versions, edition RETURN name, versions[0] AS version, edition"
        )
        return rows[0] if rows else {}


_BAD_URI = "URI not usable"


def check_uri(uri: str) -> None:
    """Refuse a URI the driver cannot use, naming what is wrong (scheme, host, port)."""
    scheme = uri.split("://", 1)[0].lower() if "://" in uri else ""
    if scheme not in BOLT_SCHEMES:
        raise DatabaseUnavailable(
            f"NEO4J_URI {uri!r} is not a usable Neo4j URI: use one of "
            + ", ".join(f"{s}://" for s in sorted(BOLT_SCHEMES)),
            _BAD_URI,
        )
    try:
        parts = urlsplit(uri)
        host, port = parts.hostname, parts.port
    except ValueError as exc:  # an unclosed IPv6 bracket, a port that is not a number or out of range
        raise DatabaseUnavailable(f"NEO4J_URI {uri!r} is not a usable Neo4j URI: {exc}", _BAD_URI) from exc
    if not host:
        raise DatabaseUnavailable(f"NEO4J_URI {uri!r} is not a usable Neo4j URI: it names no host", _BAD_URI)
    if port == 0:
        raise DatabaseUnavailable(f"NEO4J_URI {uri!r} is not a usable Neo4j URI: port 0", _BAD_URI)


_lock = threading.Lock()
_db: Database | None = None
# Checks the process-wide Database must pass when it is made (the command line asks for the schema).
_on_connect: list[Callable[[Database], None]] = []


def require_on_connect(check: Callable[[Database], None]) -> None:
    """Run ``check`` on the process-wide Database when it is made; a check that raises leaves none made."""
    with _lock:
        if check not in _on_connect:
            _on_connect.append(check)


def get_database() -> Database:
    """The process-wide Database (one driver per process)."""
    global _db
    with _lock:
        if _db is None:
            try:
                db = Database.connect()
            except SettingsError as exc:
                raise DatabaseUnavailable(str(exc), "settings invalid") from exc
            try:
                for check in _on_connect:
                    check(db)
            except BaseException:
                db.close()
                raise
            _db = db
        return _db


def close_database() -> None:
    global _db
    with _lock:
        if _db is not None:
            _db.close()
            _db = None
