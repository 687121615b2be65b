"""``spr link``: match an outside list of people against itself, or against another list, with the same
matching core the register uses. Each file's columns are mapped onto the model's fields
(``--map FIELD=COLUMN``); dates in common formats are read and empty strings are missing values."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.identity.config import identity_settings
from ingest.identity.matching import TrainedModel, load_model, present_fields, score, train
from ingest.identity.prepare import prepare

# FIELD (as given to --map) -> the person-record field it fills
FIELDS: dict[str, str] = {
    "first_name": "first_name",
    "middle_name": "middle_names",
    "last_name": "last_name",
    "dob": "dob",
    "sex": "sex",
    "address": "address_line1",
    "postcode": "postcode",
    "town": "town",
    "identifier": "other_ids",
}
LEFT, RIGHT = "L", "R"


class LinkError(ValueError):
    """A problem with the files or the options; the message names the file, row or column."""


@dataclass
class LinkResult:
    records: int
    pairs: int
    clusters: int | None
    model_version: str


def parse_maps(items: Sequence[str]) -> dict[str, str]:
    """``["first_name=Forename", ...]`` -> {field: column}."""
    out: dict[str, str] = {}
    for item in items:
        field, sep, column = item.partition("=")
        field, column = field.strip(), column.strip()
        if not sep or not field or not column:
            raise LinkError(f"--map {item!r}: expected FIELD=COLUMN")
        if field not in FIELDS:
            raise LinkError(f"--map {item!r}: FIELD must be one of {', '.join(FIELDS)}")
        if field in out:
            raise LinkError(f"--map: {field} is mapped twice")
        out[field] = column
    if not out:
        raise LinkError("give at least one --map FIELD=COLUMN")
    return out


def _read(path: Path, id_column: str, maps: Mapping[str, str], side: str | None) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        for col in (id_column, *maps.values()):
            if col not in header:
                raise LinkError(f"{path}: no column {col!r} (columns: {', '.join(header)})")
        rows, seen = [], set()
        for n, row in enumerate(reader, start=2):
            rid = (row.get(id_column) or "").strip()
            if not rid:
                raise LinkError(f"{path}, row {n}: empty {id_column}")
            if rid in seen:
                raise LinkError(f"{path}, row {n}: {id_column} {rid!r} appears twice")
            seen.add(rid)
            rec: dict[str, Any] = {"uid": f"{side}:{rid}" if side else rid, "source_system": side or "LIST"}
            for field, col in maps.items():
                value = (row.get(col) or "").strip()
                if value:
                    rec[FIELDS[field]] = value
            rows.append(rec)
    return rows


def link_files(
    left: Path,
    right: Path | None,
    *,
    id_column: str,
    maps: Mapping[str, str],
    out: Path,
    clusters_out: Path | None = None,
    threshold: float | None = None,
    train_model: bool = False,
    model: TrainedModel | None = None,
) -> LinkResult:
    """Write pairs.csv (left_id, right_id, match_probability) and optionally clusters.csv (id, cluster_id).

    With one file every pair within it is considered; with two, only pairs across them. The register's
    trained model is used (fields not given are missing values to it) unless ``train_model`` asks for a
    model estimated on these files, which suits long lists.
    """
    threshold = identity_settings().thresholds.review if threshold is None else threshold
    records = _read(left, id_column, maps, LEFT if right else None)
    if right is not None:
        records += _read(right, id_column, maps, RIGHT)
    try:
        table = prepare(records)
    except ValueError as exc:
        raise LinkError(str(exc)) from exc
    if train_model:
        model = train(table, fields=present_fields(table))
    model = model or load_model()
    scored = score(table, model, min_probability=min(threshold, 0.999999))
    pairs = [(a, b, p) for a, b, p, _ in scored.pairs(threshold)]
    if right is not None:
        pairs = [(a, b, p) for a, b, p in pairs if a[:2] != b[:2]]  # across the files only
        pairs = [(a, b, p) if a.startswith(LEFT) else (b, a, p) for a, b, p in pairs]
    strip = (lambda uid: uid.split(":", 1)[1]) if right is not None else (lambda uid: uid)
    pairs.sort(key=lambda t: (-t[2], t[0], t[1]))
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["left_id", "right_id", "match_probability"])
        for a, b, p in pairs:
            w.writerow([strip(a), strip(b), f"{p:.6f}"])
    n_clusters = None
    if clusters_out is not None:
        link_threshold = max(threshold, identity_settings().thresholds.link)
        cc = scored.linker.clustering.cluster_pairwise_predictions_at_threshold(
            scored.predictions, threshold_match_probability=link_threshold
        )
        found = cc.as_duckdbpyrelation().select("unique_id, cluster_id").order("cluster_id, unique_id").fetchall()
        names: dict[str, str] = {}
        rows = [(uid, names.setdefault(cid, f"C{len(names) + 1}")) for uid, cid in found]
        n_clusters = len(names)
        clusters_out.parent.mkdir(parents=True, exist_ok=True)
        with clusters_out.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["file", "id", "cluster_id"] if right is not None else ["id", "cluster_id"])
            for uid, cid in rows:
                if right is not None:
                    side, rid = str(uid).split(":", 1)
                    w.writerow(["left" if side == LEFT else "right", rid, cid])
                else:
                    w.writerow([uid, cid])
    return LinkResult(records=len(records), pairs=len(pairs), clusters=n_clusters, model_version=model.version)
