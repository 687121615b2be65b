"""The matching core: a Splink model (DuckDB, in process) over the prepared frame of person records.

Nothing here knows about the graph. ``train`` estimates a model without labels (u by random sampling,
m by expectation maximisation, both seeded); ``TrainedModel`` is the saved, versioned result;
``score`` returns scored candidate pairs, all of them or only those touching some new records.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from splink import DuckDBAPI, Linker, SettingsCreator
from splink import comparison_level_library as cll
from splink import comparison_library as cl
from splink.blocking_rule_library import CustomRule
from splink.internals.misc import prob_to_bayes_factor
from splink.internals.waterfall_chart import record_to_waterfall_data

from ingest.identity.config import ComparisonSpec, IdentitySettings, Level, identity_settings
from ingest.identity.duck import connect
from ingest.identity.prepare import COLUMNS

MODELS_DIR = Path(__file__).resolve().parent / "models"
CURRENT = "current.json"
_COLUMN_REF = re.compile(r"\b[lr]\.([a-z_]+)")

for _name in ("splink", "splink.internals"):
    logging.getLogger(_name).setLevel(logging.WARNING)


class ModelMissing(RuntimeError):
    """No trained model where one was expected; the message says how to train one."""


# --------------------------------------------------------------------------------------------------
# Settings as data -> Splink objects
# --------------------------------------------------------------------------------------------------


def _level(spec: Level) -> Any:
    col = spec.column or ""
    lvl: Any
    if spec.kind == "missing":
        lvl = cll.NullLevel(col)
    elif spec.kind == "exact":
        lvl = cll.ExactMatchLevel(col)
    elif spec.kind == "jaro_winkler":
        lvl = cll.JaroWinklerLevel(col, float(spec.threshold or 0))
    elif spec.kind == "damerau_levenshtein":
        lvl = cll.DamerauLevenshteinLevel(col, int(spec.threshold or 0))
    elif spec.kind == "array_intersect":
        lvl = cll.ArrayIntersectLevel(col, 1)
    elif spec.kind == "date_within_days":
        lvl = cll.AbsoluteDateDifferenceLevel(col, input_is_string=False, threshold=int(spec.days or 0), metric="day")
    elif spec.kind == "custom":
        lvl = cll.CustomLevel(spec.sql or "", spec.label)
    else:
        lvl = cll.ElseLevel()
    if spec.label and spec.kind != "custom":
        lvl = lvl.configure(label_for_charts=spec.label)
    return lvl


def _comparison(spec: ComparisonSpec) -> Any:
    return cl.CustomComparison(
        comparison_levels=[_level(lv) for lv in spec.levels],
        output_column_name=spec.name,
        comparison_description=spec.name,
    )


def _columns_in(sql: str) -> set[str]:
    return set(_COLUMN_REF.findall(sql))


def settings_creator(fields: set[str] | None = None, cfg: IdentitySettings | None = None) -> SettingsCreator:
    """Splink settings from settings.yaml; with ``fields``, only the comparisons and rules those columns allow."""
    cfg = cfg or identity_settings()
    have = set(COLUMNS) if fields is None else fields
    comparisons = [_comparison(c) for c in cfg.comparisons if set(c.needs) <= have and not set(c.unless) & have]
    rules: list[Any] = [CustomRule(r["blocking_rule"], arrays_to_explode=r["arrays_to_explode"])
                        for r in blocking_rules(have, cfg)]  # fmt: skip
    if not comparisons:
        raise ValueError("no comparison can be made with the fields given")
    if not rules:
        raise ValueError("no blocking rule can be applied with the fields given")
    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=rules,
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=True,
        additional_columns_to_retain=["source_system"],
    )


# Columns derived from the whole frame when it is loaded for scoring, for the blocking rules: how many
# records share the forename and surname sound (a rule on names alone is limited to blocks this small).
DERIVED = {"names_block": ("count(*) OVER (PARTITION BY first_name_canon, last_name_sound)",
                           ("first_name_canon", "last_name_sound"))}  # fmt: skip


def blocking_rules(fields: set[str] | None = None, cfg: IdentitySettings | None = None) -> list[dict[str, Any]]:
    """The blocking rules of settings.yaml that the fields allow, as Splink rule dicts. They are read at
    scoring time: which pairs are scored is configuration, not a parameter of a trained model."""
    cfg = cfg or identity_settings()
    have = set(COLUMNS) if fields is None else set(fields)
    have |= {name for name, (_, needs) in DERIVED.items() if set(needs) <= have}
    return [
        {"blocking_rule": r.sql, "sql_dialect": "duckdb", "arrays_to_explode": list(r.explode) or None}
        for r in cfg.blocking_rules
        if _columns_in(r.sql) | set(r.explode) <= have
    ]


def load_frame(con: duckdb.DuckDBPyConnection, table: pa.Table, name: str = "records") -> str:
    """Load a prepared frame into DuckDB as table ``name`` with the derived columns; returns ``name``."""
    con.register("__frame_arrow", table)
    derived = ", ".join(f"{sql} AS {col}" for col, (sql, _) in DERIVED.items())
    # Names are this module's constants or the caller's table names.
    con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT *, {derived} FROM __frame_arrow")  # noqa: S608
    con.unregister("__frame_arrow")
    return name


def present_fields(table: pa.Table) -> set[str]:
    """The frame's columns that hold at least one value."""
    return {name for name in table.column_names if table.column(name).null_count < len(table)}


# --------------------------------------------------------------------------------------------------
# The trained model
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainedModel:
    """A trained Splink model plus what it was trained on; ``version`` is a digest of its parameters."""

    version: str
    splink: dict[str, Any]
    trained_at: str
    records: int
    fields: tuple[str, ...]
    notes: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {"version": self.version, "trained_at": self.trained_at, "records": self.records,
             "fields": list(self.fields), "notes": self.notes, "splink": self.splink},
            indent=1, sort_keys=True,
        )  # fmt: skip

    @classmethod
    def from_json(cls, text: str) -> TrainedModel:
        d = json.loads(text)
        return cls(d["version"], d["splink"], d["trained_at"], d["records"], tuple(d["fields"]), d.get("notes", {}))

    def save(self, directory: Path | None = None, *, activate: bool = True) -> Path:
        directory = directory or MODELS_DIR
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.version}.json"
        path.write_text(self.to_json() + "\n", encoding="utf-8")
        if activate:
            (directory / CURRENT).write_text(json.dumps({"version": self.version}) + "\n", encoding="utf-8")
        return path

    def m_u_summary(self) -> list[dict[str, Any]]:
        """Each comparison level with its m, u and match weight: the model's parameters, readable."""
        out = []
        for comp in self.splink["comparisons"]:
            for lvl in comp["comparison_levels"]:
                if lvl.get("is_null_level"):
                    continue
                m, u = lvl.get("m_probability"), lvl.get("u_probability")
                w = math.log2(m / u) if m and u else None
                out.append({"comparison": comp["output_column_name"], "level": lvl.get("label_for_charts"),
                            "m": m, "u": u, "match_weight": w})  # fmt: skip
        return out


def load_model(path_or_dir: Path | None = None) -> TrainedModel:
    """A model file, or the CURRENT model of a directory (default: the package's models/)."""
    p = path_or_dir or MODELS_DIR
    if p.is_dir():
        pointer = p / CURRENT
        if not pointer.exists():
            raise ModelMissing(f"no trained identity model in {p}: run `spr resolve --train`")
        p = p / f"{json.loads(pointer.read_text(encoding='utf-8'))['version']}.json"
    if not p.exists():
        raise ModelMissing(f"identity model {p} does not exist: run `spr resolve --train`")
    return TrainedModel.from_json(p.read_text(encoding="utf-8"))


def _version(splink_settings: dict[str, Any]) -> str:
    """A digest of the parameters, to four significant figures: parallel sums differ in the last bits
    from run to run, and the same training must give the same version."""

    def rounded(v: Any) -> Any:
        if isinstance(v, float):
            return float(f"{v:.4g}")
        if isinstance(v, dict):
            return {k: rounded(x) for k, x in v.items()}
        if isinstance(v, list):
            return [rounded(x) for x in v]
        return v

    core = rounded({k: v for k, v in splink_settings.items() if k != "linker_uid"})
    digest = hashlib.sha256(json.dumps(core, sort_keys=True, default=str).encode()).hexdigest()[:10]
    return f"person-{digest}"


def _api(threads: int | None = None) -> tuple[DuckDBAPI, duckdb.DuckDBPyConnection]:
    con = connect(threads, ordered=False)
    return DuckDBAPI(connection=con), con


def train(table: pa.Table, *, cfg: IdentitySettings | None = None, fields: set[str] | None = None) -> TrainedModel:
    """Estimate the model on a frame without labels: prior from deterministic rules, u by seeded random
    sampling, m by expectation maximisation over the configured rules."""
    cfg = cfg or identity_settings()
    have = present_fields(table) if fields is None else fields
    sc = settings_creator(have, cfg)
    api, con = _api()
    linker = Linker(api.register(load_frame(con, table)), sc, log_level=None)
    t = cfg.training
    prior_rules = [r for r in t.prior_rules if _columns_in(r) <= have]
    if prior_rules:
        linker.training.estimate_probability_two_random_records_match(list(prior_rules), recall=t.prior_recall)
    linker.training.estimate_u_using_random_sampling(max_pairs=t.u_max_pairs, seed=t.seed)
    sessions = 0
    for rule in t.em_rules:
        if _columns_in(rule) <= have:
            linker.training.estimate_parameters_using_expectation_maximisation(rule, max_pairs=t.em_max_pairs)
            sessions += 1
    if sessions == 0:  # outside files with few fields: train on the first blocking rule instead
        first = next(r.sql for r in cfg.blocking_rules if _columns_in(r.sql) <= have)
        linker.training.estimate_parameters_using_expectation_maximisation(first)
    splink_settings = linker.misc.save_model_to_json()
    splink_settings.pop("linker_uid", None)
    _fill_parameters(splink_settings, t.m_floor, t.u_max_pairs)
    return TrainedModel(
        version=_version(splink_settings),
        splink=splink_settings,
        trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
        records=table.num_rows,
        fields=tuple(sorted(have & set(COLUMNS))),
    )


def _fill_parameters(splink_settings: dict[str, Any], m_floor: float, u_pairs: float) -> None:
    """Make every level's parameters usable. No m below ``m_floor`` (then renormalised): EM drives the
    m of a level it rarely sees among matches towards zero, which would make the level a veto (a weight
    of -50 for a move within a postcode area) that no other evidence could overcome; a level EM never saw
    gets the floor. A level random sampling never hit (two records sharing a PNC id are rare among
    random pairs) gets u = 1 / the pairs sampled, an upper bound, so its weight is understated rather
    than missing."""
    for comp in splink_settings["comparisons"]:
        levels = [lv for lv in comp["comparison_levels"] if not lv.get("is_null_level")]
        for lv in levels:
            if lv.get("u_probability") is None:
                lv["u_probability"] = 1.0 / u_pairs
        raised = [max(float(lv.get("m_probability") or 0.0), m_floor) for lv in levels]
        total = sum(raised)
        if total <= 0:
            continue
        for lv, m in zip(levels, raised, strict=True):
            lv["m_probability"] = m / total


# --------------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------------

PAIR_COLUMNS = ("unique_id_l", "unique_id_r", "match_probability", "match_weight")


@dataclass
class Scored:
    """Scored pairs (l < r) in a DuckDB relation, with the linker that can explain any of them."""

    linker: Linker
    relation: duckdb.DuckDBPyRelation
    model: TrainedModel
    predictions: Any = None  # Splink's own frame of the scored pairs, when all pairs were scored
    con: duckdb.DuckDBPyConnection | None = None

    def close(self) -> None:
        """Free the DuckDB database behind the pairs (the relation is unusable afterwards)."""
        if self.con is not None:
            self.con.close()
            self.con = None

    def pairs(self, min_probability: float = 0.0) -> list[tuple[str, str, float, float]]:
        rel = self.relation.filter(f"match_probability >= {float(min_probability)!r}")
        rows = rel.select(
            "least(unique_id_l, unique_id_r), greatest(unique_id_l, unique_id_r), match_probability, match_weight"
        ).fetchall()
        return [(str(a), str(b), float(p), float(w)) for a, b, p, w in rows]

    def explained(self, min_probability: float) -> list[dict[str, Any]]:
        """Pairs at or above ``min_probability`` with their waterfall (comparison levels, match weights)."""
        return [p for batch in self.explained_batches(min_probability) for p in batch]

    def explained_batches(self, min_probability: float, size: int = 5_000) -> Iterator[list[dict[str, Any]]]:
        """The pairs of ``explained``, streamed from DuckDB in Arrow batches of ``size``: only the columns the
        waterfall reads are fetched, and no more than one batch is held as Python objects at a time."""
        explain = Explainer(self.linker._settings_obj)
        rel = self.relation.filter(f"match_probability >= {float(min_probability)!r}")
        have = set(rel.columns)
        cols = [c for c in ("unique_id_l", "unique_id_r", "match_probability", "match_weight", *explain.columns)
                if c in have]  # fmt: skip
        reader = rel.select(", ".join(f'"{c}"' for c in dict.fromkeys(cols))).to_arrow_reader(size)
        for batch in reader:
            out = []
            for rec in batch.to_pylist():
                a, b = str(rec["unique_id_l"]), str(rec["unique_id_r"])
                out.append({"left": min(a, b), "right": max(a, b), "probability": float(rec["match_probability"]),
                            "match_weight": float(rec["match_weight"]), "explanation": explain(rec)})  # fmt: skip
            if out:
                yield out


class Explainer:
    """The data of Splink's waterfall chart for scored pairs, as ``waterfall`` gives it, without Splink's
    per-pair work: each comparison level's label and match weight are looked up once, so explaining a
    pair is a few dictionary look-ups (Splink's own function costs about 10 ms a pair)."""

    def __init__(self, settings_obj: Any) -> None:
        self._fallback = settings_obj if any(c._has_tf_adjustments for c in settings_obj.comparisons) else None
        prior = prob_to_bayes_factor(settings_obj._probability_two_random_records_match)
        self.prior = {"comparison": "Prior", "level": "Starting match weight (prior)",
                      "match_weight": round(math.log2(prior), 3), "left": "", "right": ""}  # fmt: skip
        self.comparisons: list[tuple[str, str, dict[int, tuple[str, float | None]], list[str], list[str]]] = []
        columns: list[str] = ["match_weight"]
        for c in settings_obj.comparisons:
            used = c._input_columns_used_by_case_statement
            cols_l = [ic.unquote().name_l for ic in used]
            cols_r = [ic.unquote().name_r for ic in used]
            levels: dict[int, tuple[str, float | None]] = {}
            for lv in c.comparison_levels:
                d = lv._as_detailed_record(c._num_levels, c.comparison_levels).as_dict()
                w = None if d["log2_bayes_factor"] is None else round(float(d["log2_bayes_factor"]), 3)
                levels[int(d["comparison_vector_value"])] = (d["label_for_charts"], w)
            self.comparisons.append((c.output_column_name, c._gamma_column_name, levels, cols_l, cols_r))
            columns += [c._gamma_column_name, *cols_l, *cols_r]
        self.columns = tuple(dict.fromkeys(columns))

    def __call__(self, rec: dict[str, Any]) -> list[dict[str, Any]]:
        if self._fallback is not None:
            return waterfall(rec, self._fallback)
        out = [dict(self.prior)]
        for name, gamma, levels, cols_l, cols_r in self.comparisons:
            label, weight = levels[int(rec[gamma])]
            out.append({"comparison": name, "level": label, "match_weight": weight,
                        "left": ", ".join([str(rec[n]) for n in cols_l]),
                        "right": ", ".join([str(rec[n]) for n in cols_r])})  # fmt: skip
        out.append({"comparison": "Final score", "level": "Final score",
                    "match_weight": round(float(rec["match_weight"]), 3), "left": "", "right": ""})  # fmt: skip
        return out


def waterfall(record: dict[str, Any], settings_obj: Any) -> list[dict[str, Any]]:
    """The data of Splink's waterfall chart for one scored pair, trimmed to what a reader needs."""
    rows = record_to_waterfall_data(record, settings_obj, hide_details=False)
    return [
        {"comparison": r["column_name"], "level": r["label_for_charts"],
         "match_weight": None if r["log2_bayes_factor"] is None else round(float(r["log2_bayes_factor"]), 3),
         "left": r.get("value_l", ""), "right": r.get("value_r", "")}
        for r in rows
    ]  # fmt: skip


def _linker(model: TrainedModel, api: DuckDBAPI, name: str, cfg: IdentitySettings | None = None) -> Linker:
    settings = dict(model.splink)
    settings["blocking_rules_to_generate_predictions"] = blocking_rules(set(model.fields), cfg)
    return Linker(api.register(name), settings, log_level=None)


def score(
    table: pa.Table,
    model: TrainedModel,
    *,
    new_ids: Iterable[str] | None = None,
    min_probability: float | None = None,
    threads: int | None = None,
    cfg: IdentitySettings | None = None,
) -> Scored:
    """Score candidate pairs of ``table``. With ``new_ids``: only pairs with at least one new record
    (new against existing, and new against new), for incremental runs."""
    api, con = _api(threads)
    missing = set(model.fields) - set(table.column_names)
    if missing:
        raise ValueError(f"the frame lacks columns the model uses: {', '.join(sorted(missing))}")
    linker = _linker(model, api, load_frame(con, table), cfg)
    if new_ids is None:
        sdf = linker.inference.predict(threshold_match_probability=min_probability, warning_mode="never")
        return Scored(linker, sdf.as_duckdbpyrelation(), model, sdf, con)
    con.register("__new_ids", pa.table({"unique_id": pa.array(sorted(set(new_ids)), pa.string())}))
    con.execute("CREATE TABLE records_new AS SELECT * FROM records SEMI JOIN __new_ids USING (unique_id)")
    con.execute("CREATE TABLE records_old AS SELECT * FROM records ANTI JOIN __new_ids USING (unique_id)")
    con.unregister("__new_ids")
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in ("records_new", "records_old")}  # noqa: S608
    new_sdf = api.register("records_new")
    parts = [linker.inference.predict_within(new_sdf, threshold_match_probability=min_probability,
                                             warning_mode="never")]  # fmt: skip
    if counts["records_new"] and counts["records_old"]:
        old_sdf = api.register("records_old")
        parts.append(linker.inference.predict_between(new_sdf, old_sdf, threshold_match_probability=min_probability,
                                                      warning_mode="never"))  # fmt: skip
    rels = [p.as_duckdbpyrelation() for p in parts]
    rel = rels[0]
    for other in rels[1:]:
        rel = rel.union(other.select(", ".join(f'"{c}"' for c in rel.columns)))
    return Scored(linker, rel, model, con=con)


def blocked_pairs(table: pa.Table, fields: set[str] | None = None) -> duckdb.DuckDBPyRelation:
    """Every candidate pair the blocking rules produce (unique_id_l < unique_id_r, rule that found it)."""
    con = connect()
    load_frame(con, table)
    parts = []
    for i, r in enumerate(blocking_rules(fields)):
        side = "records"
        if r["arrays_to_explode"]:
            exploded = ", ".join(f"unnest({c}) AS {c}" for c in r["arrays_to_explode"])
            side = f"(SELECT * REPLACE ({exploded}) FROM records)"  # noqa: S608
        # Rule text comes from settings.yaml (repository data), never from input.
        parts.append(
            f"SELECT l.unique_id AS unique_id_l, r.unique_id AS unique_id_r, {i} AS rule "  # noqa: S608
            f"FROM {side} l JOIN {side} r ON ({r['blocking_rule']}) AND l.unique_id < r.unique_id"
        )
    sql = " UNION ALL ".join(parts)
    return con.sql(f"SELECT unique_id_l, unique_id_r, min(rule) AS rule FROM ({sql}) GROUP BY ALL")  # noqa: S608
