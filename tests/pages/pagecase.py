"""What the page tests share: the small case they read (built with the query tests' graph factory), the
strings that must never reach a page, and a logged-in test client. A module of its own, not conftest.py,
so that the tests import it by a name no other test folder uses."""

from __future__ import annotations

from dataclasses import dataclass

from factories import GraphFactory
from fastapi.testclient import TestClient

from api.app import create_app
from queries.detect import detect
from spr.db import Database

PASSWORD = "correct-horse-battery-staple"
# Strings that must never reach a page for a role without view_victim_location.
VICTIM_LINE1 = "1 High Street"
VICTIM_POSTCODE = "ZZ9 9ZZ"
HOSTILE_NAME = '<img src=x onerror="alert(1)">'


@dataclass
class Case:
    perpetrator: str
    victims: list[str]


def build_case(db: Database) -> Case:
    """A serial perpetrator (two records, two forces) with two victims, escalation after a separation,
    a conviction, an order, a victim's address, and a victim whose name is hostile markup."""
    g = GraphFactory(db)
    p = g.person("P1", records=2, first_name="Darren", last_name="Vale", sources=["WMP", "LAN"])
    v1 = g.person("V1", first_name="Amy", last_name="Reed", dob="1990-02-02")
    v2 = g.person("V2", first_name="Beth", last_name=HOSTILE_NAME, dob="1992-03-03")
    g.lives_at(v1, "2022-01-01", postcode=VICTIM_POSTCODE)
    g.relationship(p, v1, start="2021-06-01", end="2023-03-01")
    i1 = g.incident(p, v1, "2023-01-05", agency="WMP", offence="VERBAL_ABUSE")
    g.incident(p, v1, "2023-03-01", agency="WMP", offence="COMMON_ASSAULT", indicators=["SEPARATION"])
    i3 = g.incident(p, v1, "2023-04-20", agency="WMP", offence="ABH", dash_grade="HIGH")
    g.outcome(p, "CONVICTION", "2023-09-01", incident=i3, offence="ABH", sentence_months=10)
    g.order(p, "DVPO", "2023-05-01", "2023-06-28", protects=v1)
    g.incident(p, v2, "2024-02-01", agency="LAN", offence="HARASSMENT", suspect_record=1)
    g.incident(p, v2, "2024-06-01", agency="LAN", offence="STRANGULATION", indicators=["NON_FATAL_STRANGULATION"],
               dash_grade="HIGH", suspect_record=1)  # fmt: skip
    del i1
    detect(db)
    return Case("P1", ["V1", "V2"])


def client_for(db: Database, username: str | None) -> TestClient:
    client = TestClient(create_app(lambda: db), base_url="http://testserver")
    if username:
        r = client.post("/login", data={"username": username, "password": PASSWORD}, follow_redirects=False)
        assert r.status_code == 303, r.text
    return client


PURPOSE = {"purpose": "MAPPA_PANEL", "purpose_detail": "Panel 12 preparation"}


# -- the browser ---------------------------------------------------------------------------------
