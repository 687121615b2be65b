"""The driver idioms: reads are sent as reads, writes as retried write transactions, database always named."""

from __future__ import annotations

import pytest
from neo4j.exceptions import ClientError, TransactionError

from spr.db import ConnectionInfo, Database, DatabaseUnavailable


def test_reads_are_routed_as_read_transactions(db: Database) -> None:
    # A read transaction may not write: the server refuses, which proves the access mode reached it.
    with pytest.raises(ClientError):
        db.read("CREATE (:Person {person_id: 'read-mode'})")
    assert db.read("MATCH (p:Person {person_id: 'read-mode'}) RETURN p") == []
    db.write("CREATE (:Person {person_id: $id})", id="write-mode")
    assert db.read("MATCH (p:Person {person_id: $id}) RETURN p.person_id AS id", id="write-mode") == [
        {"id": "write-mode"}
    ]


def test_reads_in_one_read_share_one_read_transaction(db: Database) -> None:
    db.write("CREATE (:Person {person_id: 'P1'})")
    with db.one_read():
        assert db.read("MATCH (p:Person) RETURN p.person_id AS id") == [{"id": "P1"}]
        with db.one_read():  # a nested block joins the outer transaction
            assert db.read("RETURN 1 AS x") == [{"x": 1}]
    # One transaction: once a query in it has failed, the next read of the block cannot run in it.
    with pytest.raises(TransactionError), db.one_read():
        with pytest.raises(ClientError):
            db.read("CREATE (:Person {person_id: 'no'})")  # read access: the server refuses the write
        db.read("RETURN 1 AS x")
    assert db.read("RETURN 1 AS x") == [{"x": 1}]  # out of the block, reads are their own again
    assert db.read("MATCH (p:Person {person_id: 'no'}) RETURN p") == []


def test_a_managed_write_commits_whole_or_not_at_all(db: Database) -> None:
    def work(tx):  # type: ignore[no-untyped-def]
        tx.run("CREATE (:Person {person_id: 'A'})")
        tx.run("CREATE (:Person {person_id: 'A'})")  # violates the uniqueness constraint

    with pytest.raises(ClientError):
        db.execute_write(work)
    assert db.read("MATCH (p:Person) RETURN count(p) AS n") == [{"n": 0}]


def test_uses_a_routing_uri_against_the_local_server(neo4j_server) -> None:  # type: ignore[no-untyped-def]
    if neo4j_server.instance is None:
        pytest.skip("server supplied from outside")
    assert neo4j_server.info.uri.startswith("neo4j://")


def test_wrong_password_and_unreachable_server_are_one_clear_message(neo4j_server) -> None:  # type: ignore[no-untyped-def]
    bad = ConnectionInfo(neo4j_server.info.uri, "neo4j", "not-the-password", "neo4j", False)
    with pytest.raises(DatabaseUnavailable, match="refused the credentials"):
        Database.connect(bad)
    nowhere = ConnectionInfo("bolt://127.0.0.1:1", "neo4j", "x", "neo4j", False)
    with pytest.raises(DatabaseUnavailable, match="not reachable"):
        Database.connect(nowhere)
    with pytest.raises(DatabaseUnavailable, match="not a usable Neo4j URI"):
        Database.connect(ConnectionInfo("http:/nope", "neo4j", "x", "neo4j", False))
