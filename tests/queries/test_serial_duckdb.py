"""The serial definitions in DuckDB SQL (bench/serial_duckdb.py) give the same people and first_met dates
as the register's Cypher definitions, on a hand-made register of edge cases, extracted through the driver."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from factories import GraphFactory

from spr.db import Database

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # bench/ is not an installed package

from bench.serial_duckdb import (
    compare,
    connect_duckdb,
    duckdb_campaign,
    duckdb_matac,
    export,
    neo4j_campaign,
    neo4j_matac,
)

D = date.fromisoformat
AS_OF = ["2021-02-01", "2021-09-14", "2023-01-01", "2025-01-01", "2025-06-02"]


def _register(db: Database, g: GraphFactory) -> None:
    # two victims and a conviction for the first incident
    a, v1, v2 = g.person("A"), g.person("A_V1"), g.person("A_V2")
    i = g.incident(a, v1, "2020-03-01")
    g.incident(a, v2, "2022-06-10")
    g.outcome(a, "CONVICTION", "2020-09-01", incident=i)
    # two records of the same victim are one victim; a third victim comes later
    b, bv = g.person("B", records=2), g.person("B_V", records=2, sources=["WMP", "GMP"])
    g.incident(b, bv, "2021-01-01", victim_record=0)
    g.incident(b, bv, "2021-03-01", victim_record=1, suspect_record=1, agency="GMP")
    g.outcome(b, "CONVICTION", "2021-06-01", record=1)
    g.incident(b, g.person("B_V3"), "2024-11-20")
    # an acquittal counts; NFA and a charge do not
    c, cv1, cv2 = g.person("C"), g.person("C_V1"), g.person("C_V2")
    i = g.incident(c, cv1, "2021-01-01")
    g.incident(c, cv2, "2021-03-01")
    g.outcome(c, "ACQUITTAL", "2021-08-01", incident=i)
    g.outcome(c, "NFA", "2021-02-01", incident=i)
    e, ev1, ev2 = g.person("E"), g.person("E_V1"), g.person("E_V2")
    i = g.incident(e, [ev1, ev2], "2021-01-01")
    g.outcome(e, "CHARGE", "2021-02-01", incident=i)
    # an order that expired before the second victim still counts; one made after as_of does not yet
    f, fv1, fv2 = g.person("F"), g.person("F_V1"), g.person("F_V2")
    g.incident(f, fv1, "2019-01-01")
    g.order(f, "DVPO", "2019-01-03", "2019-01-31", protects=fv1)
    g.incident(f, fv2, "2023-04-04")
    h, hv1, hv2 = g.person("H"), g.person("H_V1"), g.person("H_V2")
    g.incident(h, hv1, "2019-01-01")
    g.incident(h, hv2, "2019-02-01")
    g.order(h, "NON_MOLESTATION", "2024-06-01")
    g.order(h, "RISK_OF_HARM_ORDER", "2020-04-01")  # a type that does not qualify
    # incidents on the same day; a caution for an offence that is not DA/stalking and not linked does not count
    k, kv1, kv2 = g.person("K"), g.person("K_V1"), g.person("K_V2")
    g.outcome(k, "CAUTION", "2020-01-01")
    g.outcome(k, "CAUTION", "2019-06-01", offence="NOT_A_DA_OFFENCE")
    g.incident(k, kv1, "2022-05-05T09:00:00")
    g.incident(k, kv2, "2022-05-05T21:00:00")
    # a victim who is a suspect elsewhere; a counter-allegation does not make A a victim of themself
    m, n, o_, q = g.person("M", records=2), g.person("N"), g.person("O"), g.person("Q")
    i = g.incident(m, n, "2021-01-01")
    g.involve(i, m.rec(1), "VICTIM_IN")
    g.incident(n, o_, "2021-02-01")
    g.incident(n, q, "2021-03-01")
    g.outcome(n, "CONVICTION", "2021-04-01")
    g.outcome(m, "CONVICTION", "2021-04-01")
    # missing dates: none at all never counts; a report date alone counts from the report; a late report
    s, sv1, sv2, sv3 = g.person("S"), g.person("S_V1"), g.person("S_V2"), g.person("S_V3")
    g.outcome(s, "CONVICTION", "2020-01-01")
    g.incident(s, sv1, "2021-01-01")
    g.incident(s, sv2, None, reported=None)
    g.incident(s, sv3, None, reported="2021-07-01")
    t, tv1, tv2 = g.person("T"), g.person("T_V1"), g.person("T_V2")
    g.outcome(t, "CONVICTION", None)  # no date: never counts
    g.outcome(t, "CONVICTION", "2020-01-01")
    g.incident(t, tv1, "2021-01-01")
    g.incident(t, tv2, "2021-02-01", reported="2021-09-15")
    g.incident(t, g.person("T_V3"), "2021-03-01", reported="2021-02-20")  # reported before it occurred: from 03-01
    # MATAC: two victims more than three years apart, then a third inside the window
    w, wv1, wv2, wv3 = g.person("W"), g.person("W_V1"), g.person("W_V2"), g.person("W_V3")
    g.incident(w, wv1, "2018-01-01")
    g.incident(w, wv2, "2021-06-01")
    g.incident(w, wv3, "2022-01-01")
    # MATAC age: under 16 at the first incident; a suspect with no date of birth; a record with none
    y = g.person("Y", dob="2006-06-01")
    g.incident(y, g.person("Y_V1"), "2022-01-01")
    g.incident(y, g.person("Y_V2"), "2022-07-01")
    g.incident(y, g.person("Y_V3"), "2023-02-01")
    z = g.person("Z", dob=None)
    g.incident(z, [g.person("Z_V1"), g.person("Z_V2")], "2024-01-01")
    x = g.person("X", dob=None)  # no date of birth on the person or its first record; 14 on its second
    g.record(x, dob="2010-02-28")
    g.incident(x, g.person("X_V1"), "2024-03-01", suspect_record=0)
    g.incident(x, g.person("X_V2"), "2024-04-01", suspect_record=1)  # aged 14: does not count
    g.incident(x, g.person("X_V3"), "2024-05-01", suspect_record=0)
    # many incidents against one victim is never serial
    r, rv = g.person("R", records=3), g.person("R_V", records=2)
    for k_ in range(4):
        g.incident(r, rv, f"2021-{k_ + 1:02d}-10", suspect_record=k_ % 3, victim_record=k_ % 2)
    g.outcome(r, "CONVICTION", "2021-06-01")
    # a victim record that resolves to no person is not a victim
    u, uv1 = g.person("U"), g.person("U_V1")
    i = g.incident(u, uv1, "2021-01-01")
    db.write("CREATE (:PersonRecord {uid: 'WMP/UNRESOLVED1', source_system: 'WMP', source_record_id: 'UNRESOLVED1'})")
    g.involve(g.incident(u, None, "2021-02-01"), "WMP/UNRESOLVED1", "VICTIM_IN")
    g.outcome(u, "CONVICTION", "2021-03-01", incident=i)


def test_duckdb_sql_agrees_with_the_cypher_definitions(db: Database, g: GraphFactory, tmp_path: Path) -> None:
    _register(db, g)
    rows = export(db, tmp_path, page=25)  # small pages: the paging itself is exercised
    assert rows["records"] == db.read("MATCH (r:PersonRecord) RETURN count(r) AS n")[0]["n"]
    con = connect_duckdb(tmp_path, threads=1)
    seen: dict[str, set[str]] = {"campaign": set(), "matac": set()}
    found: dict[tuple[str, str], dict[str, date]] = {}
    for day in map(D, AS_OF):
        for name, neo_fn, duck_fn in (
            ("campaign", neo4j_campaign, duckdb_campaign),
            ("matac", neo4j_matac, duckdb_matac),
        ):
            neo, duck = neo_fn(db, day), duck_fn(con, day)
            diff = compare(neo, duck)
            assert diff.agree, f"{name} as of {day}: " + "; ".join(diff.describe())
            seen[name] |= set(neo)
            found[name, day.isoformat()] = duck
    con.close()
    # the register exercises both definitions, met and not met
    assert seen["campaign"] == {"A", "B", "C", "F", "H", "K", "N", "S", "T"}
    assert {"W", "Y", "Z", "X"} <= seen["matac"]
    assert "E" not in seen["campaign"] and "R" not in seen["campaign"] | seen["matac"]
    assert "U" not in seen["campaign"] and "M" not in seen["campaign"]
    campaign, matac = found["campaign", "2025-01-01"], found["matac", "2025-01-01"]
    assert campaign["B"] == D("2024-11-20")  # B_V's two records are one victim: B_V3 is the second
    assert campaign["F"] == D("2023-04-04") and campaign["K"] == D("2022-05-05") and campaign["T"] == D("2021-03-01")
    assert matac["X"] == D("2024-05-01") and matac["Z"] == D("2024-01-01") and matac["Y"] == D("2023-02-01")
    assert "W" not in found["matac", "2025-06-02"] and found["matac", "2023-01-01"]["W"] == D("2022-01-01")
