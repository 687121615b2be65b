"""The sweep: flags stored with their definition and evidence, idempotent, and scoped by person."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from factories import GraphFactory, link_truth

from queries._common import person_partitions
from queries.detect import detect, person_flags
from queries.models import RfgvQuery
from queries.rfgv import compute_rfgv, score_history
from spr.db import Database

D = date.fromisoformat


def _graph(g: GraphFactory) -> None:
    a, v1, v2 = g.person("A"), g.person("V1"), g.person("V2")
    i = g.incident(a, v1, "2024-01-01", dash_grade="HIGH")
    g.incident(a, v2, "2024-02-01")
    g.outcome(a, "CONVICTION", "2024-03-01", incident=i)
    b, w = g.person("B"), g.person("W")
    for d in ("2024-04-01", "2024-05-01", "2024-06-01"):
        g.incident(b, w, d)


def _counts(db: Database) -> dict[str, int]:
    return db.read(
        "MATCH (f:Flag) OPTIONAL MATCH (f)-[e:EVIDENCED_BY]->() "
        "RETURN count(DISTINCT f) AS flags, count(e) AS edges, max(f.computed_at) AS at"
    )[0]


def test_detect_stores_flags_with_evidence_and_is_idempotent(db: Database, g: GraphFactory) -> None:
    _graph(g)
    t1 = datetime(2025, 1, 1, tzinfo=UTC)
    r1 = detect(db, D("2024-12-31"), computed_at=t1)
    assert r1.flags == {"SERIAL_CAMPAIGN": 1, "SERIAL_MATAC": 1, "REPEAT": 1, "HIGH_RISK": 1}
    assert r1.created == 4 and r1.removed == 0
    flags = {f["definition"]: f for f in person_flags(db, "A")}
    assert flags["SERIAL_CAMPAIGN"]["first_met"] == D("2024-03-01")
    assert {e["label"] for e in flags["SERIAL_CAMPAIGN"]["evidence"]} == {"Incident", "Person", "Outcome"}
    before = _counts(db)
    r2 = detect(db, D("2024-12-31"), computed_at=datetime(2025, 1, 2, tzinfo=UTC))
    assert (r2.created, r2.updated, r2.removed, r2.unchanged, r2.scores_changed) == (0, 0, 0, 4, 0)
    assert _counts(db) == before  # nothing rewritten, computed_at unchanged
    assert [p.as_of for p in score_history(db, "A")] == [D("2024-12-31")]


def test_detect_compares_flags_by_digest_and_rewrites_flags_stored_without_one(db: Database, g: GraphFactory) -> None:
    _graph(g)
    detect(db, D("2024-12-31"))
    # A flag stored before flags carried a digest is rewritten once, then left alone.
    db.write("MATCH (f:Flag {uid: 'A|SERIAL_CAMPAIGN'}) REMOVE f.digest")
    r = detect(db, D("2024-12-31"))
    assert (r.created, r.updated, r.unchanged) == (0, 1, 3)
    assert detect(db, D("2024-12-31")).updated == 0
    # New evidence changes the digest: A's third victim is a new victim of the serial flags and the MATAC one.
    a, v3 = g.person("A"), g.person("V3")  # a second record of A
    g.incident(a, v3, "2024-07-01")
    r = detect(db, D("2024-12-31"))
    assert r.created == 0 and r.updated >= 2
    flags = {f["definition"]: f for f in person_flags(db, "A")}
    assert "V3" in {e["key"] for e in flags["SERIAL_CAMPAIGN"]["evidence"]}


def _edges_and_evidence(db: Database) -> dict[str, tuple[list[str], list[str]]]:
    rows = db.read(
        "MATCH (f:Flag) OPTIONAL MATCH (f)-[:EVIDENCED_BY]->(e) "
        "WITH f, [x IN collect(e) | labels(x)[0] + ':' + coalesce(x.uid, x.person_id)] AS edges "
        "RETURN f.uid AS uid, f.evidence AS evidence, edges"
    )
    return {r["uid"]: (sorted(r["edges"]), sorted(r["evidence"])) for r in rows}


def test_a_changed_flag_keeps_gains_and_loses_exactly_the_evidence_edges_of_its_new_evidence(
    db: Database, g: GraphFactory
) -> None:
    # A changed flag's edges are written as a difference (kept, added, removed): they must be exactly its
    # evidence afterwards, whether the change added records, dropped some or both.
    _graph(g)
    a, v2 = g.person("A"), g.person("V2")
    g.incident(a, v2, "2024-06-01", dash_grade="HIGH")
    detect(db, D("2024-12-31"))
    first = _edges_and_evidence(db)
    assert first["A|HIGH_RISK"][0] == first["A|HIGH_RISK"][1] and len(first["A|HIGH_RISK"][0]) >= 2
    # Later: the 2024-01-01 incident leaves the high-risk window and a new high-risk incident arrives.
    late = g.incident(a, v2, "2025-12-01", dash_grade="HIGH")
    r = detect(db, D("2026-03-01"))
    assert r.updated >= 1
    after = _edges_and_evidence(db)
    for uid, (edges, evidence) in after.items():
        assert edges == evidence, uid
    high = after["A|HIGH_RISK"][0]
    assert f"Incident:{late}" in high  # gained
    assert set(first["A|HIGH_RISK"][0]) - set(high)  # lost the incident that left the window
    assert set(first["A|HIGH_RISK"][0]) & set(high)  # kept the one still inside it


def test_detect_for_some_people_and_removal(db: Database, g: GraphFactory) -> None:
    _graph(g)
    detect(db, D("2024-12-31"))
    # B's incidents move out of the repeat window by a later as_of; only B is recomputed
    r = detect(db, D("2025-07-01"), person_ids=["B"])
    assert r.removed == 1 and r.created == 0
    assert person_flags(db, "B") == []
    assert {f["definition"] for f in person_flags(db, "A")} == {
        "SERIAL_CAMPAIGN", "SERIAL_MATAC", "REPEAT", "HIGH_RISK"
    } - {"REPEAT"}  # fmt: skip
    # a later sweep stores a second score: the history shows the fall
    hist = score_history(db, "B")
    assert len(hist) == 2 and hist[1].score < hist[0].score


def test_a_sweep_in_parts_equals_one_in_a_single_query(
    db: Database, g: GraphFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On a large register everyone's questions run in parts of PARTITION people; two people per part here.
    _graph(g)
    whole = detect(db, D("2024-12-31"))
    flags = db.read("MATCH (p:Person)-[:FLAGGED]->(f:Flag) RETURN p.person_id AS p, f.uid AS f ORDER BY f")
    scores = compute_rfgv(db, RfgvQuery(as_of=D("2024-12-31")))
    assert len(person_partitions(db, None)) == 1
    monkeypatch.setattr("queries._common.PARTITION", 2)
    parts = person_partitions(db, None)
    everyone = sorted(r["id"] for r in db.read("MATCH (p:Person) RETURN p.person_id AS id"))
    assert [len(p or []) for p in parts] == [2, 2, 1] and [x for p in parts for x in p or []] == everyone
    again = detect(db, D("2024-12-31"))
    assert again.flags == whole.flags and (again.created, again.updated, again.removed) == (0, 0, 0)
    assert db.read("MATCH (p:Person)-[:FLAGGED]->(f:Flag) RETURN p.person_id AS p, f.uid AS f ORDER BY f") == flags
    assert compute_rfgv(db, RfgvQuery(as_of=D("2024-12-31"))) == scores


def _swept(db: Database) -> dict[str, Any]:
    """What a sweep stores (flags with their evidence, scores with their ranks, the nomination list with
    its ranks), without the times it was stored at."""

    def props(label: str) -> list[dict[str, Any]]:
        rows = db.read(f"MATCH (n:{label}) RETURN properties(n) AS p")
        return sorted(({k: v for k, v in r["p"].items() if not k.endswith("_at")} for r in rows), key=str)

    evidence = db.read(
        "MATCH (p:Person)-[:FLAGGED]->(f:Flag)-[:EVIDENCED_BY]->(e) "
        "RETURN p.person_id AS person, f.uid AS flag, coalesce(e.uid, e.person_id) AS e ORDER BY person, flag, e"
    )
    return {
        "flags": props("Flag"),
        "evidence": evidence,
        "scores": props("PriorityScore"),
        "list": props("NominationCandidate"),
    }


def test_a_full_sweep_in_parts_stores_what_one_part_stores(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A national register is swept part by part, keeping only each part's scores and reasons: the flags,
    # the ranked scores and the ranked nomination list must be those of a sweep of everyone at once.
    import ingest
    import synthetic
    from synthetic import REFERENCE_DATE

    synthetic.generate("tiny", 3, tmp_path, progress=False)
    ingest.load(db, [tmp_path], progress=False, resolver=None)
    link_truth(db, tmp_path)
    whole = detect(db, REFERENCE_DATE)
    stored = _swept(db)
    assert len(stored["flags"]) > 50 and len(stored["list"]) > 20
    assert {s["rank"] for s in stored["scores"]} == set(range(1, len(stored["scores"]) + 1))
    db.write("MATCH (n) WHERE n:Flag OR n:PriorityScore OR n:NominationCandidate OR n:Sweep DETACH DELETE n")
    people = db.read("MATCH (p:Person) RETURN count(p) AS n")[0]["n"]
    monkeypatch.setattr("queries._common.PARTITION", people // 4 + 1)
    logged: list[str] = []
    parted = detect(db, REFERENCE_DATE, log=logged.append)
    assert sum(m.startswith("part ") for m in logged) == 4
    assert parted == whole
    assert _swept(db) == stored
