"""The MAPPA+ nomination list as the sweep stores it: equal to the list computed from the records (people,
reasons, first_met, scores, ranks; for all forces and for each force), kept current by the incremental
update after an ingest batch, nominations read live, and a clear answer before any sweep has run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from factories import GraphFactory, link_truth
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import create_user, signing_key
from queries.detect import detect
from queries.models import CandidateQuery, NominationCreate, NominationDecision
from queries.nominations import (
    NOT_SWEPT,
    NotSwept,
    _sorted,
    candidate_page,
    compute_candidates,
    decide,
    find_candidates,
    last_sweep,
    nominate,
    sort_key,
    stored_page,
)
from spr.db import Database
from spr.settings import get_settings

D = date.fromisoformat


def _same(db: Database, as_of: date, force: str | None) -> list[str]:
    """The stored list equals the computed one as of the sweep's date; returns its people."""
    stored = find_candidates(db, CandidateQuery(force=force))
    computed = compute_candidates(db, CandidateQuery(as_of=as_of, force=force))
    assert stored == computed, force
    return [c.person_id for c in stored]


def test_sort_key_orders_by_score_descending_then_person() -> None:
    scores = [0.0, 1e-9, 0.5, 3.25, 3.25, 40.0, 1e42, None, -2.0]
    keys = [sort_key("CLE", s, f"P{i}") for i, s in enumerate(scores)]
    ranked = [k.rsplit("|", 1)[1] for k in sorted(keys)]
    assert ranked == ["P6", "P5", "P3", "P4", "P2", "P1", "P0", "P8", "P7"]


def test_generated_data_stored_equals_computed_and_a_later_batch_updates_it(db: Database, tmp_path: Path) -> None:
    import ingest
    import synthetic
    from queries.stages import after_batch
    from synthetic import REFERENCE_DATE

    base = tmp_path / "tiny"
    synthetic.generate("tiny", 5, base, progress=False)
    ingest.load(db, [base], progress=False, resolver=None)
    link_truth(db, base)
    with pytest.raises(NotSwept):
        find_candidates(db, CandidateQuery())
    result = detect(db, REFERENCE_DATE)
    forces = json.loads((base / "manifest.json").read_text())["forces"]
    everyone = _same(db, REFERENCE_DATE, None)
    assert result.candidates == len(everyone) > 5
    for force in forces:
        assert _same(db, REFERENCE_DATE, force)
    assert any(c.rfgv_rank for c in find_candidates(db, CandidateQuery(force=forces[0])))
    sweep = last_sweep(db)
    assert sweep is not None and sweep["as_of"] == REFERENCE_DATE and sweep["candidates"] == len(everyone)

    # A later batch: someone on the register but not on the list is the suspect in a high-risk incident.
    pick = db.read(
        "MATCH (p:Person)<-[:RESOLVES_TO]-(r:PersonRecord)-[:SUSPECT_IN]->(:Incident) "
        "WHERE r.source_system IN $forces AND NOT EXISTS { (p)-[:FLAGGED]->(:Flag) } "
        "AND NOT EXISTS { (p)<-[:RESOLVES_TO]-(:PersonRecord)-[:SUBJECT_OF]->(:Episode) } "
        "AND NOT EXISTS { (p)<-[:RESOLVES_TO]-(:PersonRecord)<-[:ASSESSES]-(:Assessment) } "
        "WITH p, r ORDER BY p.person_id, r.uid LIMIT 1 "
        "MATCH (v:PersonRecord)-[:VICTIM_IN]->(:Incident) WHERE NOT (v)-[:RESOLVES_TO]->(p) "
        "RETURN p.person_id AS person_id, r.uid AS suspect, r.source_system AS force, v.uid AS victim LIMIT 1",
        forces=forces,
    )[0]
    assert pick["person_id"] not in everyone
    later = tmp_path / "later"
    later.mkdir()
    day = REFERENCE_DATE + timedelta(days=3)
    at = f"{day.isoformat()}T21:00:00Z"
    force = pick["force"]
    (later / "incident.ndjson").write_text(
        json.dumps({
            "source_system": force, "record_id": "ITEST000001", "record_version": 1, "occurred_at": at,
            "reported_at": at, "agency_code": force, "offence_code": "ABH", "is_crime": True, "is_stalking": False,
            "dash_grade": "HIGH",
        }) + "\n"
    )  # fmt: skip
    (later / "involvement.ndjson").write_text(
        "".join(
            json.dumps({
                "source_system": force, "record_id": f"VTEST00000{n}", "record_version": 1,
                "incident_ref": f"{force}/ITEST000001", "person_ref": ref, "role": role,
            }) + "\n"
            for n, (role, ref) in enumerate((("SUSPECT", pick["suspect"]), ("VICTIM", pick["victim"])))
        )
    )  # fmt: skip
    as_of = REFERENCE_DATE + timedelta(days=14)
    report = ingest.load(
        db, [later], progress=False, resolver=None, after_load=lambda d, r: after_batch(d, r, as_of=as_of)
    )
    assert any("flags recomputed" in n for n in report.notes), report.notes
    listed = {c.person_id: c for c in find_candidates(db, CandidateQuery())}
    new = listed[pick["person_id"]]
    assert new.reasons == ["HIGH_RISK"] and new.first_met == day
    assert new.rfgv_score is not None and new.rfgv_rank is None  # ranked by the next full sweep
    assert pick["person_id"] in {c.person_id for c in find_candidates(db, CandidateQuery(force=force))}
    order = list(listed.values())
    assert [c.person_id for c in order] == [
        c.person_id for c in sorted(order, key=lambda c: (c.rfgv_score is None, -(c.rfgv_score or 0), c.person_id))
    ]
    # The next full sweep ranks everyone again, and the stored list is the computed one.
    detect(db, as_of)
    assert pick["person_id"] in _same(db, as_of, None)
    assert pick["person_id"] in _same(db, as_of, force)
    assert all(c.rfgv_rank for c in find_candidates(db, CandidateQuery()) if c.rfgv_score is not None)


@pytest.fixture
def panel(db: Database, g: GraphFactory) -> GraphFactory:
    """A: serial campaign (CLE); B: professional judgement only; C: high risk (NBR); M: managed under MAPPA."""
    a, b, c, m, v1, v2, v3 = (g.person(x) for x in ("A", "B", "C", "M", "V1", "V2", "V3"))
    i = g.incident(a, v1, "2024-01-01", offence="ABH", agency="CLE")
    g.incident(a, v2, "2024-02-01", agency="CLE")
    g.outcome(a, "CONVICTION", "2024-03-01", incident=i, offence="ABH", sentence_months=18)
    g.assessment(b, "PROFESSIONAL_JUDGEMENT", "2024-05-01", at_risk=True)
    g.incident(c, v3, "2024-06-01", dash_grade="HIGH", agency="NBR")
    g.incident(c, v1, "2024-09-01", agency="CLE")
    g.incident(m, v3, "2024-07-01", dash_grade="HIGH", agency="NBR")
    g.episode(m, "MAPPA", "2024-08-01", level=2, category="2")
    return g


def test_stored_list_reads_nominations_live_and_follows_incremental_updates(db: Database, panel: GraphFactory) -> None:
    g, day = panel, D("2025-01-31")
    with pytest.raises(NotSwept, match="spr detect"):
        stored_page(db)
    assert compute_candidates(db, CandidateQuery(as_of=day))  # the computed list needs no sweep
    detect(db, day)
    assert _same(db, day, None) == ["C", "A", "B"]  # C: two incidents, one graded high; B: no incidents
    assert _same(db, day, "CLE") == ["C", "A"]
    assert _same(db, day, "NBR") == ["C"]
    page = candidate_page(db, CandidateQuery(), skip=1, limit=1)
    assert [c.person_id for c in page.data] == ["A"] and page.count == 3 and page.stored and page.as_of == day
    for sort in ("rank", "name", "first_met", "reasons", "forces"):
        for order in ("asc", "desc"):
            got = [c.person_id for c in stored_page(db, sort=sort, order=order, limit=10).data]
            want = [c.person_id for c in _sorted(compute_candidates(db, CandidateQuery(as_of=day)), sort, order)]
            assert got == want, (sort, order)

    # Nominations are read live: nominated leaves the list at once, declined comes back.
    n = nominate(db, NominationCreate(person_id="A", reasons=["SERIAL_CAMPAIGN"], nominated_by="cw"))
    assert [c.person_id for c in find_candidates(db, CandidateQuery())] == ["C", "B"]
    assert stored_page(db, "CLE").count == 1
    decide(db, NominationDecision(nomination_id=n.nomination_id, decided_by="chair", accept=False, reason="MARAC"))
    assert _same(db, day, None) == ["C", "A", "B"]

    # The incremental update (what after_batch runs for a batch's people): a new high-risk person appears,
    # scored and unranked until the next full sweep; a person now under MAPPA leaves.
    ranks = {c.person_id: c.rfgv_rank for c in find_candidates(db, CandidateQuery())}
    n_ = g.person("N")
    g.incident(n_, g.person("V4"), "2025-01-20", dash_grade="HIGH", agency="CLE")
    g.episode(g.person("C"), "MAPPA", "2025-01-25", level=1, category="2")
    detect(db, day, person_ids=["N", "C", "A"])
    listed = {c.person_id: c for c in find_candidates(db, CandidateQuery())}
    assert set(listed) == {"A", "B", "N"}
    assert listed["N"].reasons == ["HIGH_RISK"] and listed["N"].rfgv_rank is None and listed["N"].rfgv_score
    assert listed["A"].rfgv_rank == ranks["A"]  # rescored, score unchanged: keeps its rank
    assert [c.person_id for c in find_candidates(db, CandidateQuery(force="CLE"))] == sorted(
        ["A", "N"], key=lambda p: -(listed[p].rfgv_score or 0)
    )
    assert find_candidates(db, CandidateQuery(force="NBR")) == []
    # A full sweep ranks everyone again.
    detect(db, day)
    assert _same(db, day, None) == [c.person_id for c in compute_candidates(db, CandidateQuery(as_of=day))]
    assert set(_same(db, day, "CLE")) == {"A", "N"}


@pytest.fixture
def client(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("SPR_SECRET_KEY", "k" * 16 + "a-test-signing-key-of-48-characters")
    get_settings.cache_clear()
    signing_key.cache_clear()
    create_user(db, "analyst", "correct-horse-battery-staple", ["POLICE_ANALYST"])
    c = TestClient(create_app(lambda: db))
    token = c.post("/api/v1/auth/token", data={"username": "analyst", "password": "correct-horse-battery-staple"})
    c.headers.update({
        "Authorization": f"Bearer {token.json()['access_token']}",
        "X-SPR-Purpose": "INTELLIGENCE_ANALYSIS", "X-SPR-Purpose-Detail": "nomination list",
    })  # fmt: skip
    yield c
    get_settings.cache_clear()
    signing_key.cache_clear()


def test_api_candidates_before_and_after_the_sweep(db: Database, panel: GraphFactory, client: TestClient) -> None:
    r = client.get("/api/v1/nominations/candidates")
    assert r.status_code == 409 and r.json()["detail"] == NOT_SWEPT
    assert client.get("/api/v1/nominations/candidates", params={"as_of": "2025-01-31"}).json()["count"] == 3
    detect(db, D("2025-01-31"))
    body = client.get("/api/v1/nominations/candidates", params={"force": "CLE", "limit": 1}).json()
    assert body["count"] == 2 and [c["person_id"] for c in body["data"]] == ["C"]
    assert body["stored"] and body["as_of"] == "2025-01-31" and body["swept_at"]
    body = client.get("/api/v1/nominations/candidates", params={"as_of": "2025-01-31"}).json()
    assert not body["stored"] and [c["person_id"] for c in body["data"]] == ["C", "A", "B"]


def test_cli_says_to_run_detect_then_lists_the_stored_list(
    db: Database, panel: GraphFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    import spr.db
    from spr.cli import app

    monkeypatch.setattr(spr.db, "_db", db)
    run = CliRunner().invoke
    r = run(app, ["nominations", "--json"])
    assert r.exit_code == 2 and "spr detect" in r.output
    r = run(app, ["detect", "--as-of", "2025-01-31", "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["candidates"] == 3
    r = run(app, ["nominations", "--force", "NBR", "--json"])
    assert r.exit_code == 0 and [c["person"] for c in json.loads(r.stdout)] == ["C"]
