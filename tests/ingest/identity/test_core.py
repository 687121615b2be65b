"""The matching core without the graph: preparation, clustering guards, evaluation metrics, spr link."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ingest.identity.cluster import cluster_records
from ingest.identity.config import identity_settings, nicknames
from ingest.identity.evaluate import blocking_recall, pairwise_metrics
from ingest.identity.linkfiles import LinkError, parse_maps
from ingest.identity.matching import load_model, score, settings_creator, waterfall
from ingest.identity.prepare import (
    canonical_first_name,
    parse_date,
    prepare,
    prepare_fast,
    prepare_row,
    soundex,
    split_postcode,
)
from spr.cli import app


def test_settings_and_nicknames_load() -> None:
    cfg = identity_settings()
    assert cfg.thresholds.review < cfg.thresholds.link
    assert cfg.one_per_person("PROB-WM") and not cfg.one_per_person("WMP")
    assert cfg.band(0.99) == "LINK" and cfg.band(cfg.thresholds.review) == "REVIEW" and cfg.band(0.01) == "APART"
    assert nicknames()[("bob", "")] == "robert"
    names = [c.name for c in cfg.comparisons]
    assert {"first_name", "last_name", "dob", "sex", "pnc_id", "residence"} <= set(names)
    # every blocking rule and comparison becomes a Splink object
    sc = settings_creator()
    assert len(sc.blocking_rules_to_generate_predictions) == len(cfg.blocking_rules)


def test_prepare_derives_match_keys() -> None:
    assert soundex("robert") == soundex("rupert") == "R163"
    assert soundex("ashcraft") == "A261"
    assert canonical_first_name("sam", "F") == "samantha" and canonical_first_name("sam", "M") == "samuel"
    assert parse_date("02/01/1980") == date(1980, 1, 2) and parse_date("2 Jan 1980") == date(1980, 1, 2)
    assert parse_date("") is None
    with pytest.raises(ValueError):
        parse_date("sometime")
    assert split_postcode("b11aa") == ("B1 1AA", "B1", "B")
    row = prepare_row({"source_system": "WMP", "record_id": "1", "first_name": "Bob", "last_name": "O'Brien",
                       "aliases": ["Robert Smith"], "dob": "1980-01-02", "sex": "m", "pnc_id": "99/1A"})  # fmt: skip
    assert row["unique_id"] == "WMP/1"
    assert row["first_name"] == "bob" and row["first_name_canon"] == "robert"
    assert row["surnames"] == ["obrien", "smith"]
    assert row["dob_swapped"] == "1980-02-01" and row["sex"] == "M" and row["pnc_id"] == "99/1A"


def test_dob_swap_level_is_its_own_level() -> None:
    model = load_model()
    dob = next(c for c in model.splink["comparisons"] if c["output_column_name"] == "dob")
    labels = [lv.get("label_for_charts") for lv in dob["comparison_levels"]]
    assert "day and month swapped" in labels
    assert model.version.startswith("person-")


def test_clustering_guards_against_chains() -> None:
    # a-b strong, b-c strong, but a and c are both probation records: b joins one of them only
    pairs = [("a", "b", 0.99), ("b", "c", 0.98), ("d", "e", 0.4)]
    sources = {"a": "PROB-WM", "b": "WMP", "c": "PROB-WM", "d": "WMP", "e": "WMP"}
    cl = cluster_records("abcde", pairs, 0.9, source_of=sources, one_per_person=identity_settings().one_per_person)
    assert cl.cluster_of["a"] == cl.cluster_of["b"] != cl.cluster_of["c"]
    assert cl.cluster_of["d"] != cl.cluster_of["e"]
    assert [(r.left, r.right) for r in cl.refused] == [("b", "c")]
    # different PNC ids never join; an analyst's SAME always does, DIFFERENT always keeps apart
    cl = cluster_records("ab", [("a", "b", 0.99)], 0.9, identifiers_of={"a": ["p1"], "b": ["p2"]})
    assert cl.cluster_of["a"] != cl.cluster_of["b"]
    cl = cluster_records("ab", [("a", "b", 0.99)], 0.9, different=[("a", "b")])
    assert cl.cluster_of["a"] != cl.cluster_of["b"]
    cl = cluster_records("ab", [], 0.9, same=[("a", "b")])
    assert cl.cluster_of["a"] == cl.cluster_of["b"] and cl.joined_by["a"][2] == "analyst"


def test_evaluation_metrics_on_a_known_example() -> None:
    truth = {"a": "P1", "b": "P1", "c": "P1", "d": "P2", "e": "P3"}
    predicted = {"a": "x", "b": "x", "c": "y", "d": "y", "e": "z"}
    m = pairwise_metrics(predicted, truth)
    # true pairs: ab ac bc = 3; predicted: ab cd = 2; correct: ab = 1
    assert (m.true_pairs, m.predicted_pairs, m.correct_pairs) == (3, 2, 1)
    assert m.precision == pytest.approx(0.5) and m.recall == pytest.approx(1 / 3)
    assert m.f1 == pytest.approx(2 * 0.5 * (1 / 3) / (0.5 + 1 / 3))
    assert (m.true_persons, m.predicted_persons) == (3, 3)
    assert m.exact_clusters == pytest.approx(1 / 3)  # only P3 is reproduced exactly
    assert m.bcubed_precision == pytest.approx((1 + 1 + 0.5 + 0.5 + 1) / 5)
    assert m.bcubed_recall == pytest.approx((2 / 3 + 2 / 3 + 1 / 3 + 1 + 1) / 5)
    perfect = pairwise_metrics(truth, truth)
    assert perfect.f1 == 1.0 and perfect.exact_clusters == 1.0
    # blocking: ab is a candidate, bc too, ac is not but is reachable through b
    direct, reach = blocking_recall([("a", "b"), ("b", "c"), ("d", "e")], truth)
    assert direct == pytest.approx(2 / 3) and reach == 1.0


def test_parse_maps_rejects_bad_fields() -> None:
    assert parse_maps(["first_name=Forename", "dob=DOB"]) == {"first_name": "Forename", "dob": "DOB"}
    with pytest.raises(LinkError):
        parse_maps(["shoe_size=Size"])
    with pytest.raises(LinkError):
        parse_maps(["first_name"])


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


LEFT = [
    {"ref": "1", "Forename": "John", "Surname": "Smith", "DOB": "02/01/1980", "Post Code": "B1 1AA"},
    {"ref": "2", "Forename": "Jon", "Surname": "Smith", "DOB": "1980-02-01", "Post Code": "B1 1AA"},
    {"ref": "3", "Forename": "Mary", "Surname": "Jones", "DOB": "05/05/1975", "Post Code": ""},
    {"ref": "4", "Forename": "Gemma", "Surname": "Hart", "DOB": "", "Post Code": "TS1 1AA"},
]
RIGHT = [
    {"ref": "x", "Forename": "Mary", "Surname": "Jones", "DOB": "1975-05-05", "Post Code": "B4 4DD"},
    {"ref": "y", "Forename": "Johnny", "Surname": "Smith", "DOB": "2 Jan 1980", "Post Code": "B1 1AA"},
    {"ref": "z", "Forename": "Peter", "Surname": "Brown", "DOB": "1960-01-01", "Post Code": ""},
]
MAPS = ["--map", "first_name=Forename", "--map", "last_name=Surname", "--map", "dob=DOB", "--map", "postcode=Post Code"]


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_spr_link_one_file(tmp_path: Path) -> None:
    left = _write(tmp_path / "left.csv", LEFT)
    out, clusters = tmp_path / "pairs.csv", tmp_path / "clusters.csv"
    res = CliRunner().invoke(
        app, ["link", str(left), "--id", "ref", *MAPS, "--out", str(out), "--clusters", str(clusters)]
    )
    assert res.exit_code == 0, res.output
    pairs = _read(out)
    assert list(pairs[0]) == ["left_id", "right_id", "match_probability"]
    assert [(p["left_id"], p["right_id"]) for p in pairs] == [("1", "2")]  # nickname and day/month swap
    assert float(pairs[0]["match_probability"]) > 0.9
    cl = {r["id"]: r["cluster_id"] for r in _read(clusters)}
    assert cl["1"] == cl["2"] and len(set(cl.values())) == 3


def test_spr_link_two_files(tmp_path: Path) -> None:
    left, right = _write(tmp_path / "l.csv", LEFT), _write(tmp_path / "r.csv", RIGHT)
    out = tmp_path / "pairs.csv"
    res = CliRunner().invoke(app, ["link", str(left), str(right), "--id", "ref", *MAPS, "--out", str(out)])
    assert res.exit_code == 0, res.output
    got = {(p["left_id"], p["right_id"]) for p in _read(out)}
    assert {("1", "y"), ("2", "y"), ("3", "x")} == got  # across the files only, left id first
    bad = CliRunner().invoke(app, ["link", str(left), "--id", "nope", *MAPS, "--out", str(out)])
    assert bad.exit_code == 2 and "'nope'" in " ".join(bad.output.split())


def test_explanations_are_splinks_waterfall() -> None:
    # The stored explanation is the data of Splink's waterfall chart, computed from looked-up levels.
    people: list[dict[str, Any]] = [
        {"uid": "WMP/1", "first_name": "John", "last_name": "Smith", "dob": "1980-01-02", "sex": "M",
         "pnc_id": "99/1A", "postcode": "B1 1AA", "address_line1": "1 High St", "events": ["WMP/I1#S"]},
        {"uid": "NBR/2", "first_name": "Jon", "last_name": "Smith", "dob": "1980-02-01", "sex": "M",
         "pnc_id": "99/1A", "postcode": "B1 1AB", "aliases": ["Johnny Smyth"]},
        {"uid": "COURT-EW/3", "first_name": "John", "middle_names": "Paul", "last_name": "Smith",
         "dob": "1980-01-02", "events": ["WMP/I1#S"]},
        {"uid": "LAN/4", "first_name": "Johnathan", "last_name": "Smith", "dob": "1981-01-02", "postcode": "B1 1AA"},
    ]  # fmt: skip
    scored = score(prepare(people), load_model(), min_probability=0.0)
    explained = {(p["left"], p["right"]): p for p in scored.explained(0.0)}
    rel = scored.relation
    names = rel.columns
    assert len(explained) == len(rel.fetchall()) >= 3
    for row in rel.fetchall():
        rec = dict(zip(names, row, strict=True))
        a, b = sorted((str(rec["unique_id_l"]), str(rec["unique_id_r"])))
        assert explained[(a, b)]["explanation"] == waterfall(rec, scored.linker._settings_obj)


def test_prepare_in_duckdb_matches_prepare() -> None:
    # The DuckDB preparation (national loads, benchmarks, the graph read) gives prepare's frame row for row.
    records: list[dict[str, Any]] = [
        {"uid": "WMP/1", "first_name": "  Bob ", "middle_names": "  James   o'Neil ", "last_name": "O'Brien-Smith",
         "aliases": ["Robert Smith", "  Bobby ", "", "Rob  de  Vries", "Smith"], "dob": "02/01/1980", "sex": " m",
         "pnc_id": " 99/1a ", "other_ids": ["crn:x1", "CRN:X1", " passport:9 "], "postcode": " b11aa ",
         "address_line1": "  1   High  St ", "town": "DUDLEY", "events": ["WMP/I2#S", "WMP/I1#S", "WMP/I2#S"]},
        {"source_system": "NBR", "record_id": "2", "first_name": "Sam", "last_name": "Ashcraft", "sex": "F",
         "dob": "2 Jan 1980", "postcode": "not a postcode", "aliases": "Sammy Jones|Sam"},
        {"uid": "IDVA-CLE/3", "first_name": "Zoë", "last_name": "Ångström", "dob": date(1991, 12, 12), "sex": "x",
         "postcode": "TS1 1AA", "other_ids": []},
        {"uid": "CLE/4", "first_name": "", "last_name": None, "dob": "", "sex": None, "middle_names": ""},
        {"uid": "CLE/5", "first_name": "Chris", "last_name": "Hart", "dob": "1985-07-03T00:00:00", "sex": "M",
         "middle_names": "Chris", "aliases": ["Chris Hart"]},
    ]  # fmt: skip
    assert prepare_fast(records).to_pylist() == prepare(records).to_pylist()
    with pytest.raises(ValueError):
        prepare_fast([{"uid": "X/1", "dob": "sometime"}])
