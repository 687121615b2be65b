"""What the register does after every ingest batch: alerts, then flags, for exactly the people it touched.

``after_batch`` is the ``after_load`` stage of ``ingest.load``; `spr ingest` and the API's ingest endpoint
both pass it. It finds the batch's people once (``people_in_batch``: through the ``ingest_batch``
provenance indexes), then

1. runs the alert triggers for them on the batch's records (``queries.alerts.evaluate_batch``) first,
   because an alert is the time-critical part;
2. recomputes their flags and RFGV scores (``queries.detect.detect`` with ``person_ids``): the
   incremental update, so that nominations and profiles are current without a full sweep.

Both ask the serial definitions, the incident timelines and the RFGV inputs for the same people on the
same day; within the stage each is asked once (``queries._common.shared_answers``).

The first load into an empty register is history, not news: no alerts, and the flags are left to the full
sweep (`spr detect`), which is what a first load needs anyway. Both are said in the report's notes.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from queries._common import read, shared_answers
from queries.alerts import AlertResult, evaluate_batch, people_in_batch
from queries.detect import detect


def first_load(db: Any, batch_id: str) -> bool:
    """No other batch has completed: the register was empty before this one."""
    return not read(db, "count_earlier_batches", batch_id=batch_id)[0]["earlier"]


def after_batch(db: Any, report: Any, *, as_of: date | None = None) -> AlertResult | None:
    """Alerts, then flags, for the people the batch touched; notes on the report say what was done."""
    if first_load(db, report.batch_id):
        report.notes.append(
            "first load into an empty register: no alerts (history, not news) and no flags yet; run "
            f"`spr detect` for the flags (`spr alerts evaluate --batch {report.batch_id}` would raise alerts)"
        )
        return None
    people = people_in_batch(db, report.batch_id)
    if not people:
        return AlertResult(people=0, created=0, unchanged=0, alerts=[])
    with shared_answers():  # the rules and the flags ask the same per-person questions: each is asked once
        alerts = evaluate_batch(db, report.batch_id, people, as_of=as_of)
        flags = detect(db, as_of, person_ids=people)
    report.notes.append(
        f"flags recomputed for the {len(people):,} people the batch touched: {flags.created} new, "
        f"{flags.updated} changed, {flags.removed} removed"
    )
    return alerts
