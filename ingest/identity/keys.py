"""Blocking keys stored on PersonRecord, so that an incremental run reads only the records that can pair
with the new ones instead of the whole register.

Every blocking rule of settings.yaml is an equality join on columns of the prepared frame. For each rule
this module names a stored key (one indexed ``block_*`` property of PersonRecord, the joined columns
joined by ``|``) or, for the shared-incident rule, a walk through the graph; the records a new record can
be paired with are then found by index seeks on the new records' key values. The keys are derived from
the prepared frame (prepare.py), so they hold the canonical forename, the surname sound and the rest
exactly as the model compares them. ``block_version`` names the derivation (this module's keys and the
nickname table): a record whose version is missing or different has keys to compute again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from ingest.identity.config import IdentitySettings, _read

# Bump when the preparation of a key's columns changes (prepare.py): stored keys are then computed again.
KEY_FORMAT = 1

# Stored key (PersonRecord property) -> the frame columns it joins.
KEYS: dict[str, tuple[str, ...]] = {
    "block_pnc": ("pnc_id",),
    "block_dob_surname": ("dob", "last_name_sound"),
    "block_dob_forename": ("dob", "first_name_canon"),
    "block_names": ("first_name_canon", "last_name_sound"),
    "block_dob_postcode": ("dob", "postcode"),
    "block_forename_postcode": ("first_name_canon", "postcode"),
    "block_surname_postcode": ("last_name", "postcode"),
    "block_identifier": ("other_ids_key",),
}
VERSION = "block_version"
SHARED_INCIDENT = "shared_incident"  # found through the graph (the incidents are relationships, not values)

# Blocking rule (settings.yaml) -> the stored key whose equal values find its pairs. The rules on names
# alone or names with two parts of the date of birth all need the same forename and surname sound, so the
# whole names block is read (which also keeps ``names_block``, derived when the frame is loaded, exact for
# every record that can pair with a new one). The swapped-date rules find, in both directions, a record
# whose date and forename equal the new record's swapped date and forename (``dob_swapped`` of one equals
# ``dob`` of the other exactly when the converse holds).
RULE_KEYS: dict[str, str] = {
    "pnc": "block_pnc",
    "dob_surname_sound": "block_dob_surname",
    "dob_forename": "block_dob_forename",
    "names_year_month": "block_names",
    "names_year_day": "block_names",
    "names_day_month": "block_names",
    "names_no_dob": "block_names",
    "names_no_dob_reverse": "block_names",
    "names_no_postcode": "block_names",
    "names_no_postcode_reverse": "block_names",
    "dob_swapped_forename": "block_dob_forename",
    "dob_swapped_forename_reverse": "block_dob_forename",
    "dob_postcode": "block_dob_postcode",
    "forename_postcode": "block_forename_postcode",
    "surname_postcode": "block_surname_postcode",
    "identifier": "block_identifier",
    "shared_incident": SHARED_INCIDENT,
}

_COLUMNS = ("unique_id", "dob_swapped", "events", *sorted({c for cols in KEYS.values() for c in cols}))


def key_version() -> str:
    """The derivation the stored keys come from: this module's keys and the nickname table."""
    basis = json.dumps({"format": KEY_FORMAT, "keys": KEYS}, sort_keys=True) + _read("nicknames.yaml")
    return "k" + hashlib.sha256(basis.encode()).hexdigest()[:12]


def uncovered_rules(cfg: IdentitySettings) -> list[str]:
    """Blocking rules no stored key finds the pairs of: with any, an incremental run reads every record."""
    return [r.name for r in cfg.blocking_rules if r.name not in RULE_KEYS]


def _join(values: Iterable[Any]) -> str | None:
    parts = list(values)
    return "|".join(str(v) for v in parts) if all(v is not None for v in parts) else None


def key_rows(table: pa.Table, only: set[str] | None = None) -> list[dict[str, Any]]:
    """Each record's stored keys (``uid`` and one entry per key; None where a part is missing)."""
    cols = {c: table.column(c).to_pylist() for c in _COLUMNS}
    out = []
    for i, uid in enumerate(cols["unique_id"]):
        if only is not None and uid not in only:
            continue
        row: dict[str, Any] = {"uid": uid}
        for prop, parts in KEYS.items():
            row[prop] = _join(cols[c][i] for c in parts)
        out.append(row)
    return out


def lookups(table: pa.Table) -> tuple[dict[str, list[str]], list[dict[str, str]]]:
    """What to look up for the records of ``table``: the values of each stored key, and the incidents they
    are tied to with the part played (``{"incident": uid, "part": S|V|W}``)."""
    values: dict[str, set[str]] = {prop: set() for prop in KEYS}
    for row in key_rows(table):
        for prop in KEYS:
            if row[prop] is not None:
                values[prop].add(row[prop])
    swapped = table.column("dob_swapped").to_pylist()
    canon = table.column("first_name_canon").to_pylist()
    for s, c in zip(swapped, canon, strict=True):
        if s is not None and c is not None:
            values["block_dob_forename"].add(f"{s}|{c}")
    events: set[tuple[str, str]] = set()
    for evs in table.column("events").to_pylist():
        for e in evs or ():
            incident, _, part = str(e).rpartition("#")
            if incident and part:
                events.add((incident, part))
    return ({p: sorted(v) for p, v in values.items() if v},
            [{"incident": i, "part": p} for i, p in sorted(events)])  # fmt: skip


def merge_tables(tables: Iterable[pa.Table], schema: pa.Schema) -> pa.Table:
    parts = [t for t in tables if t.num_rows]
    return pa.concat_tables(parts) if parts else schema.empty_table()
