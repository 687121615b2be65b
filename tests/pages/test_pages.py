"""The web pages over HTTP (no browser): login, roles, purpose and audit, redaction, escaping, offline."""

from __future__ import annotations

import re

from factories import GraphFactory, P
from offline import assert_offline, external_references
from pagecase import HOSTILE_NAME, PURPOSE, VICTIM_LINE1, VICTIM_POSTCODE, Case, client_for

from api import audit
from spr.db import Database


def _audit_rows(db: Database, subject: str) -> list[dict[str, object]]:
    rows, _ = audit.query(db, subject=subject, limit=100)
    return rows


def test_login_cookie_and_logout(db: Database, users: dict[str, str], case: Case) -> None:
    anon = client_for(db, None)
    r = anon.get("/nominations", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=%2Fnominations")
    r = anon.post("/login", data={"username": "caseworker", "password": "wrong-password-123"}, follow_redirects=False)
    assert (
        r.status_code == 401
        and "Wrong username or password" in r.text
        and "spr_token" not in r.headers.get("set-cookie", "")
    )
    r = anon.post(
        "/login", data={"username": "caseworker", "password": users["password"], "next": "/consistency"},
        follow_redirects=False,
    )  # fmt: skip
    cookie = r.headers["set-cookie"].lower()
    assert r.status_code == 303 and r.headers["location"] == "/consistency"
    assert "spr_token=" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    r = anon.post("/login", data={"username": "caseworker", "password": users["password"], "next": "//evil.example"},
                  follow_redirects=False)  # fmt: skip
    assert r.headers["location"] == "/nominations"  # never an open redirect
    assert anon.get("/nominations").status_code == 200
    r = anon.post("/logout", follow_redirects=False)
    assert r.status_code == 303 and 'spr_token=""' in r.headers["set-cookie"]
    anon.cookies.clear()
    assert anon.get("/nominations", follow_redirects=False).status_code == 303


def test_nominations_list_sort_filter_and_decide(db: Database, users: dict[str, str], case: Case) -> None:
    cw = client_for(db, "caseworker")
    page = cw.get("/nominations").text
    assert "Darren Vale" in page and "SERIAL_CAMPAIGN" in page and 'aria-sort="ascending"' in page
    assert "Darren Vale" not in cw.get("/nominations", params={"force": "CLE"}).text
    assert "Darren Vale" in cw.get("/nominations", params={"force": "LAN", "sort": "name", "order": "desc"}).text
    r = cw.post("/nominations", data={"person_id": "P1", "reasons": ["SERIAL_CAMPAIGN", "HIGH_RISK"]})
    assert "P1 nominated" in r.text and "Awaiting a panel decision (1)" in r.text
    nom = re.search(r"(NOM-[0-9A-F]{12})", r.text)
    assert nom
    r = cw.post(f"/nominations/{nom.group(1)}/decision", data={"decision": "decline", "reason": ""})
    assert "needs a reason" in r.text and "Awaiting a panel decision (1)" in r.text
    r = cw.post(f"/nominations/{nom.group(1)}/decision", data={"decision": "decline", "reason": "Managed by MARAC"})
    assert "declined" in r.text and "Managed by MARAC" in r.text
    # A role that may read but not decide sees no forms, and a forged post is refused.
    analyst = client_for(db, "analyst")
    assert "Accept" not in analyst.get("/nominations").text
    assert analyst.post("/nominations", data={"person_id": "P1", "reasons": ["X"]}).status_code == 403
    # Forms post only from the register's own pages.
    r = cw.post("/nominations", data={"person_id": "P1", "reasons": ["X"]}, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403


def test_person_page_asks_why_audits_and_explains(db: Database, users: dict[str, str], case: Case) -> None:
    cw = client_for(db, "caseworker")
    r = cw.get("/persons/P1")
    assert r.status_code == 200 and 'name="purpose"' in r.text and "Darren" not in r.text
    assert _audit_rows(db, "P1") == []  # nothing read yet
    assert "Choose a purpose" in cw.get("/persons/P1", params={"purpose": "MAPPA_PANEL", "purpose_detail": " "}).text
    r = cw.get("/persons/P1", params=PURPOSE)
    assert r.status_code == 200
    page = r.text
    for expected in ("Darren Vale", "SERIAL_CAMPAIGN", "Identities and why they are linked", "Timeline",
                     "escalation path", "separation", "Case graph", "DVPO", "CONVICTION"):  # fmt: skip
        assert expected in page, expected
    rows = _audit_rows(db, "P1")
    assert rows and rows[0]["purpose"] == "MAPPA_PANEL" and rows[0]["purpose_detail"] == "Panel 12 preparation"
    assert rows[0]["username"] == "caseworker" and rows[0]["action"] == "PAGE /persons/P1"
    assert cw.get("/persons/NOPE", params=PURPOSE).status_code == 404
    assert _audit_rows(db, "NOPE")[0]["outcome"] == "not found"
    # An agency-scoped role outside the person's agencies learns nothing, and the refusal is audited.
    assert client_for(db, "idva").get("/persons/P1", params=PURPOSE).status_code == 404
    assert _audit_rows(db, "P1")[0]["outcome"] == "refused: outside agency"


def test_victims_locations_only_for_roles_that_may_see_them(db: Database, users: dict[str, str], case: Case) -> None:
    for path in ("/persons/P1", "/persons/P1/graph", "/persons/P1/export", "/persons/V1"):
        redacted = client_for(db, "analyst").get(path, params=PURPOSE).text
        assert VICTIM_POSTCODE not in redacted and VICTIM_LINE1 not in redacted, path
    shown = client_for(db, "locations").get("/persons/P1/graph", params=PURPOSE).text
    assert VICTIM_POSTCODE in shown and VICTIM_LINE1 in shown


def test_names_and_notes_are_text_never_markup(db: Database, users: dict[str, str], case: Case) -> None:
    cw = client_for(db, "caseworker")
    for path in ("/persons/P1", "/persons/P1/graph", "/persons/V2", "/persons/P1/export"):
        html = cw.get(path, params=PURPOSE).text
        assert "Beth" in html, path
        assert HOSTILE_NAME not in html and "<img src=x" not in html, path


def test_every_page_works_offline(db: Database, users: dict[str, str], case: Case) -> None:
    cw, analyst = client_for(db, "caseworker"), client_for(db, "analyst")
    pages = {
        "/login": client_for(db, None),
        "/nominations": cw,
        "/persons/P1": cw,
        "/persons/P1/graph": cw,
        "/persons/P1/export": cw,
        "/consistency": cw,
        "/alerts": cw,
        "/identity-review": analyst,
    }
    for path, client in pages.items():
        r = client.get(path, params=PURPOSE if path.startswith("/persons") else None)
        assert r.status_code == 200, (path, r.status_code)
        assert_offline(r.text, path)
        for ref in re.findall(r"""(?:src|href)="(/static/[^"]+)\"""", r.text):
            assert client.get(ref).status_code == 200, ref
        for ref in re.findall(r"""(?:src|href)="([^"#]+)\"""", r.text):
            assert ref.startswith("/"), (path, ref)


def test_the_offline_check_catches_a_cdn(db: Database) -> None:
    from pyvis.network import Network

    net = Network(cdn_resources="in_line")
    net.add_node(1)
    assert external_references(net.generate_html())  # pyvis's own page pulls Bootstrap from a CDN
    assert external_references('<style>@import url("https://x.example/a.css");</style>')
    assert external_references("<script src='//cdn.example/x.js'></script>")
    assert not external_references('<svg xmlns="http://www.w3.org/2000/svg"></svg><a href="/x">x</a>')


def test_pages_by_role(db: Database, users: dict[str, str], case: Case) -> None:
    admin = client_for(db, "admin")
    assert admin.get("/nominations").status_code == 403
    assert "Consistency by force" in admin.get("/consistency").text
    r = client_for(db, "caseworker").get("/consistency")
    assert "West Midlands" in r.text and "<svg" in r.text
    r = client_for(db, "caseworker").get("/alerts")
    assert r.status_code == 200 and "No open alerts" in r.text
    r = client_for(db, "analyst").get("/identity-review")
    assert r.status_code == 200 and "Identity review" in r.text


def test_alerts_page_lists_acknowledges_and_closes(db: Database, users: dict[str, str], case: Case) -> None:
    from queries.alerts import evaluate_alerts

    db.write("MATCH (n) WHERE n.ingest_batch IS NULL AND NOT n:Agency SET n.ingest_batch = 'old'")
    g = GraphFactory(db, source="CLE")  # its own source and force: no uid shared with the case
    records = [r["uid"] for r in db.read("MATCH (:Person {person_id: $p})<-[:RESOLVES_TO]-(r) RETURN r.uid AS uid",
                                         p=case.perpetrator)]  # fmt: skip
    g.incident(P(case.perpetrator, records), g.person("V9", first_name="Cara", last_name="Lowe"), "2024-09-01",
               agency="NBR", offence="COMMON_ASSAULT")  # fmt: skip
    db.write("MATCH (n) WHERE n.ingest_batch IS NULL AND NOT n:Agency SET n.ingest_batch = 'new'")
    db.write("MATCH ()-[r]->() WHERE r.ingest_batch IS NULL SET r.ingest_batch = 'new'")
    raised = evaluate_alerts(db, [case.perpetrator], batch_id="new", since=None)
    known = [a for a in raised.alerts if a.kind == "KNOWN_PERPETRATOR_INCIDENT"]
    assert known
    cw = client_for(db, "caseworker")
    page = cw.get("/alerts").text
    assert known[0].alert_id in page and "KNOWN_PERPETRATOR_INCIDENT" in page and "Acknowledge" in page
    assert_offline(page, "/alerts")
    r = cw.post(f"/alerts/{known[0].alert_id}/status", data={"action": "acknowledge", "note": "Officer tasked"})
    assert r.status_code == 200 and "acknowledged" in r.text
    acked = cw.get("/alerts", params={"status": "ACKNOWLEDGED"}).text
    assert known[0].alert_id in acked and "Officer tasked" in acked
    r = cw.post(f"/alerts/{known[0].alert_id}/status", data={"action": "close", "note": "Arrested"})
    closed = cw.get("/alerts", params={"status": "CLOSED"}).text
    assert "closed" in r.text and known[0].alert_id in closed and "Closed by caseworker: Arrested" in closed
    # an administrator has no read_alerts
    assert client_for(db, "admin").get("/alerts").status_code == 403
