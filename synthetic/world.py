"""The simulation: perpetrator careers, their victims, incidents, outcomes, orders and duties.

A shard is one force (or the cross-force movers) with its own random stream, so shards can run in any
order or in parallel and still give the same bytes. A career (one perpetrator, their victims and
everything agencies recorded about them) is simulated in memory, written, and forgotten: memory is
bounded by the largest career, not by the data set.

Ground truth is computed from what was actually written (after the observation window cut the
career), so every pattern in truth/patterns.ndjson is visible in the records.
"""

from __future__ import annotations

import bisect
import heapq
import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from ingest.records import vocabulary
from synthetic import calibration as cal
from synthetic.names import (
    DESTINATIONS,
    FEMALE_FIRST,
    FORCE_POSTCODES,
    MALE_FIRST,
    PORTS,
    STREET_TYPES,
    STREETS,
    SURNAMES,
    UNIT_LETTERS,
)
from synthetic.noise import dob_variant, first_name_variant, typo
from synthetic.writer import RecordWriter

REF = cal.REFERENCE_DATE
REF_END = datetime.combine(REF, time(23, 59))
COURT = "COURT-EW"
BORDER = "BORDER"
SERIAL_WINDOW_DAYS = 1095  # MATAC: within 3 years (definitions.yaml SERIAL_MATAC)
REPEAT_WINDOW_DAYS = 365  # definitions.yaml REPEAT
REPEAT_MIN = 3
ESCALATION_MIN = 3  # definitions.yaml ESCALATION
ESCALATION_CHAIN = ("DA_NON_CRIME", "VERBAL_ABUSE", "COMMON_ASSAULT", "ABH", "STRANGULATION")
PLANTED_KINDS = tuple(cal.PLANTED_PER_1000)

# Time of day incidents happen: evenings and nights dominate.
_HOUR_WEIGHTS = [3, 2, 2, 1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 4, 4, 4, 5, 6, 7, 8, 9, 9, 7, 5]
_HOUR_CUM = [sum(_HOUR_WEIGHTS[: i + 1]) for i in range(24)]


def _cumulative(weights: dict[str, float]) -> tuple[list[str], list[float]]:
    codes = list(weights)
    total = 0.0
    cum = []
    for c in codes:
        total += weights[c]
        cum.append(total)
    return codes, [x / total for x in cum]


_VOC = vocabulary()
GRAVITY = {code: int(o["gravity"]) for code, o in _VOC.offences.items()}
HOMICIDE_INDICATORS = tuple(c for c, i in _VOC.indicators.items() if i.get("homicide_indicator"))
_CRIME_CODES, _CRIME_CUM = _cumulative(cal.OFFENCE_WEIGHTS)
_CRIME_SHARE = cal.TARGETS["crime_share"].value
_MEAN_CRIME_GRAVITY = sum(GRAVITY[c] * w for c, w in cal.OFFENCE_WEIGHTS.items()) / sum(cal.OFFENCE_WEIGHTS.values())
_STALKING_OFFENCES = tuple(c for c, o in _VOC.offences.items() if o.get("stalking"))
# Offences that always carry an indicator; the rest of each indicator's target frequency is random.
_OFFENCE_INDICATOR = {
    "STRANGULATION": "NON_FATAL_STRANGULATION",
    "THREATS_TO_KILL": "THREATS_TO_KILL",
    "COERCIVE_CONTROL": "COERCIVE_CONTROL",
    "STALKING": "STALKING",
    "STALKING_FEAR_OF_VIOLENCE": "STALKING",
    "HARASSMENT": "STALKING",
}


def _implied_share(indicator: str) -> float:
    total = sum(cal.OFFENCE_WEIGHTS.values())
    return (
        _CRIME_SHARE * sum(w for c, w in cal.OFFENCE_WEIGHTS.items() if _OFFENCE_INDICATOR.get(c) == indicator) / total
    )


# Extra probability per incident so each indicator's overall frequency meets its target.
_INDICATOR_P = {
    code: max(0.0, (f - _implied_share(code)) / (1 - _implied_share(code)))
    for code, f in cal.INDICATOR_FREQUENCY.items()
}
_INDICATOR_ORDER = list(cal.INDICATOR_FREQUENCY)
_P_STRONG = 1 - math.prod(1 - cal.INDICATOR_FREQUENCY[c] for c in cal.STRONG_INDICATORS)
_HIGH_SHARE = cal.TARGETS["dash_high_share"].value
_MEDIUM_SHARE = cal.TARGETS["dash_medium_share"].value
_P_HIGH_OTHERWISE = max(0.0, (_HIGH_SHARE - _P_STRONG * cal.HIGH_GIVEN_STRONG) / (1 - _P_STRONG))
_P_MEDIUM_OTHERWISE = _MEDIUM_SHARE / (1 - _HIGH_SHARE)  # of those not graded HIGH


def geometric(rng: random.Random, mean: float) -> int:
    """Number of extra events, geometric with the given mean (0, 1, 2, ...)."""
    if mean <= 0:
        return 0
    q = mean / (1 + mean)
    return int(math.log(1.0 - rng.random()) / math.log(q))


def iso_dt(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds") + "Z"


# --------------------------------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------------------------------


@dataclass
class Residence:
    start: date
    line1: str
    town: str
    postcode: str
    force: str


@dataclass
class TruePerson:
    pid: str
    sex: str
    first: str
    middle: str | None
    last: str
    dob: date
    residences: list[Residence]
    pnc: str | None = None
    pnc_from: date | None = None
    alias: str | None = None
    name_changes: list[tuple[date, str]] = field(default_factory=list)
    records: dict[str, str] = field(default_factory=dict)  # source system -> first record uid

    def last_at(self, d: date) -> str:
        name = self.last
        for when, new in self.name_changes:
            if when <= d:
                name = new
        return name

    def residence_at(self, d: date) -> Residence:
        current = self.residences[0]
        for r in self.residences:
            if current.start <= r.start <= d:
                current = r
        return current


@dataclass
class PersonRow:
    row: dict[str, Any]
    person: TruePerson
    source: str
    created: date
    police: bool


@dataclass
class Order:
    uid: str
    order_type: str
    start: date
    end: date | None
    victim: int | None
    duties: list[str]
    breach_offence: bool
    issuer: str
    force: str

    def active(self, d: date) -> bool:
        return self.start <= d and (self.end is None or d <= self.end)


@dataclass(order=True)
class Event:
    when: datetime
    seq: int
    victim: int = field(compare=False)
    offence: str | None = field(default=None, compare=False)
    indicators: tuple[str, ...] = field(default=(), compare=False)
    grade: str | None = field(default=None, compare=False)
    force_arrest: bool = field(default=False, compare=False)


@dataclass
class Victim:
    person: TruePerson
    kind: str  # INTIMATE_PARTNER | FAMILY
    force: str
    rel_start: date
    incidents: int = 0
    recorded_relationship: bool = False


@dataclass
class EmittedIncident:
    when: datetime
    victim_pid: str
    gravity: int
    grade: str | None
    indicators: tuple[str, ...]
    force: str
    uid: str


@dataclass
class ShardResult:
    name: str
    counts: dict[str, int]
    patterns: dict[str, int]
    incidents: int
    incidents_last_year: int
    careers: int


# --------------------------------------------------------------------------------------------------
# Shard
# --------------------------------------------------------------------------------------------------


class Shard:
    """Generates all careers of one force (or the cross-force movers) into one part directory."""

    def __init__(
        self,
        index: int,
        name: str,
        forces: tuple[str, ...],
        budget: int,
        seed: int,
        out: Path,
        fmt: str,
        window_start: date,
        movers: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.index = index
        self.name = name
        self.forces = forces
        self.force = forces[0]
        self.budget = budget
        self.rng = random.Random(f"spr-synthetic/{seed}/{name}")
        self.writer = RecordWriter(out, fmt, header=False)
        self.truth_dir = out / "truth"
        self.truth_dir.mkdir(parents=True, exist_ok=True)
        self.window_start = window_start
        self.window_start_dt = datetime.combine(window_start, time(0, 0))
        self.last_year_start = datetime.combine(REF - timedelta(days=364), time(0, 0))
        self.movers = movers
        self.progress = progress
        self._counters: dict[str, int] = {}
        self._seq = 0
        self._forced_turn = -1
        self.pattern_counts: dict[str, int] = {}
        self.incidents = 0
        self.incidents_last_year = 0
        self.careers = 0
        self._fh_person_truth = (self.truth_dir / "person_truth.csv").open("w", encoding="utf-8", newline="")
        self._fh_incident_truth = (self.truth_dir / "incident_truth.csv").open("w", encoding="utf-8", newline="")
        self._fh_patterns = (self.truth_dir / "patterns.ndjson").open("w", encoding="utf-8")

    # -- ids ---------------------------------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        n = self._counters.get(prefix, 0) + 1
        self._counters[prefix] = n
        return f"{prefix}{self.index:02d}{n:07d}"

    # -- random helpers ----------------------------------------------------------------------------

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def when_on(self, d: date) -> datetime:
        h = bisect.bisect_left(_HOUR_CUM, self.rng.random() * _HOUR_CUM[-1])
        return datetime.combine(d, time(min(h, 23), self.rng.randrange(60)))

    def postcode(self, force: str) -> tuple[str, str]:
        area, lo, hi, town = self.rng.choice(FORCE_POSTCODES[force])
        rng = self.rng
        # City of London districts carry a letter (EC2V); elsewhere area and district number
        district = rng.randint(lo, hi)
        outward = f"EC{district}{rng.choice('AMNPRVY')}" if area == "EC" else f"{area}{district}"
        return f"{outward} {rng.randrange(10)}{rng.choice(UNIT_LETTERS)}{rng.choice(UNIT_LETTERS)}", town

    def residence(self, force: str, start: date) -> Residence:
        pc, town = self.postcode(force)
        line1 = f"{self.rng.randint(1, 180)} {self.rng.choice(STREETS)} {self.rng.choice(STREET_TYPES)}"
        return Residence(start, line1, town, pc, force)

    def new_person(self, sex: str, age_range: tuple[int, int], force: str, since: date) -> TruePerson:
        rng = self.rng
        first = rng.choice(MALE_FIRST if sex == "M" else FEMALE_FIRST)
        middle = rng.choice(MALE_FIRST if sex == "M" else FEMALE_FIRST) if rng.random() < 0.55 else None
        age = rng.randint(*age_range)
        dob = date(REF.year - age, rng.randint(1, 12), rng.randint(1, 28))
        start = min(since, REF) - timedelta(days=rng.randint(30, 2000))
        return TruePerson(
            pid=self.new_id("TP-"),
            sex=sex,
            first=first,
            middle=middle,
            last=rng.choice(SURNAMES),
            dob=dob,
            residences=[self.residence(force, start)],
        )

    # -- person records (identity as a source saw it) ---------------------------------------------

    def record(self, person: TruePerson, source: str, at: date, buf: list[PersonRow], fresh: bool = False) -> str:
        """The uid of ``person``'s record in ``source``, creating a noisy one the first time."""
        police = source in _VOC.forces
        existing = person.records.get(source)
        if existing and not fresh and not (police and self.chance(cal.P_DUPLICATE_PERSON_RECORD / 4)):
            return existing
        rng = self.rng
        rid = self.new_id("N")
        uid = f"{source}/{rid}"
        if source == BORDER:
            first, dob, middle = person.first, person.dob, person.middle
        elif source == COURT:
            first = first_name_variant(rng, person.first, 0.03, 0.02)
            dob = dob_variant(rng, person.dob, 0.01, 0.01)
            middle = person.middle if rng.random() < 0.7 else None
        elif source.startswith("IDVA"):
            first = first_name_variant(rng, person.first, 0.25, 0.03)
            dob = dob_variant(rng, person.dob, 0.03, 0.02)
            middle = None
        elif source.startswith("PROB"):
            first = first_name_variant(rng, person.first, 0.04, 0.01)
            dob = dob_variant(rng, person.dob, 0.01, 0.01)
            middle = person.middle
        else:
            first = first_name_variant(rng, person.first, 0.12, 0.03)
            dob = dob_variant(rng, person.dob, 0.03, 0.02)
            middle = person.middle if rng.random() < 0.5 else None
        last = person.last_at(at)
        if rng.random() < 0.02 and source != BORDER:
            last = typo(rng, last)
        row: dict[str, Any] = {"source_system": source, "record_id": rid, "record_version": 1}
        row["first_name"] = first
        if middle:
            row["middle_names"] = middle
        row["last_name"] = last
        aliases = []
        if person.alias and police and rng.random() < 0.7:
            aliases.append(person.alias)
        if last != person.last and police:
            aliases.append(f"{person.first} {person.last}")
        if aliases:
            row["aliases"] = aliases
        missing_dob = {COURT: 0.05, BORDER: 0.0}.get(source, 0.15 if source.startswith("IDVA") else 0.02)
        if rng.random() >= missing_dob:
            row["dob"] = dob.isoformat()
        row["sex"] = person.sex if rng.random() > 0.01 else "U"
        ids = []
        if source.startswith("PROB"):
            ids.append(f"CRN:{chr(65 + int(person.pid[-4:]) % 26)}{rng.randint(100000, 999999)}")
        if source == BORDER:
            ids.append(f"PASSPORT:{rng.randint(100000000, 999999999)}")
        if ids:
            row["other_ids"] = ids
        if source != BORDER:
            res = person.residence_at(at)
            if police or rng.random() < 0.6:
                row["address_line1"] = res.line1
                row["town"] = res.town
                row["postcode"] = res.postcode
        buf.append(PersonRow(row, person, source, at, police))
        if existing is None:
            person.records[source] = uid
        return uid

    def flush_people(self, buf: list[PersonRow]) -> None:
        w = self.writer
        for pr in buf:
            row = pr.row
            person = pr.person
            v2 = None
            if pr.police and person.pnc and person.pnc_from and self.rng.random() < cal.P_PNC_RECORDED:
                if person.pnc_from <= pr.created:
                    row["pnc_id"] = person.pnc
                else:
                    v2 = dict(row, record_version=2, pnc_id=person.pnc)
            w.write("person", row)
            if v2 is not None:
                w.write("person", v2)
            self._fh_person_truth.write(f"{row['source_system']}/{row['record_id']},{person.pid}\n")
        buf.clear()

    # -- writing helpers ----------------------------------------------------------------------------

    def write(self, rtype: str, source: str, prefix: str, **fields: Any) -> str:
        rid = self.new_id(prefix)
        row: dict[str, Any] = {"source_system": source, "record_id": rid, "record_version": 1}
        for k, v in fields.items():
            if v is None or v == []:
                continue
            row[k] = v.isoformat() if isinstance(v, date) and not isinstance(v, datetime) else v
        self.writer.write(rtype, row)
        return f"{source}/{rid}"

    def pattern(self, name: str, pid: str, holds_from: date, details: dict[str, Any]) -> None:
        if holds_from > REF:
            return
        self.pattern_counts[name] = self.pattern_counts.get(name, 0) + 1
        row = {"pattern": name, "person_id": pid, "holds_from": holds_from.isoformat(), "details": details}
        self._fh_patterns.write(json.dumps(row, separators=(",", ":")) + "\n")

    # -- the shard's main loop ----------------------------------------------------------------------

    def run(self) -> ShardResult:
        expected_careers = max(1, int(self.budget / 1.9))
        planted: list[str] = []
        if self.movers:
            n_movers = max(cal.MOVERS_MIN, expected_careers)
            expected_careers = n_movers
            planted = []
        else:
            for pk in PLANTED_KINDS:
                n = max(cal.PLANTED_MIN_PER_SHARD[pk], round(cal.PLANTED_PER_1000[pk] * expected_careers / 1000))
                planted.extend([pk] * n)
            self.rng.shuffle(planted)
        reported = 0
        careers_left = expected_careers
        while self.incidents < self.budget or planted or (self.movers and self.careers < cal.MOVERS_MIN):
            kind: str | None = None
            if planted and (self.incidents >= self.budget or self.rng.random() < len(planted) / max(careers_left, 1)):
                kind = planted.pop()
            careers_left = max(1, careers_left - 1)
            self.career(kind)
            if self.progress and self.incidents - reported >= 500:
                self.progress(self.incidents - reported)
                reported = self.incidents
        if self.progress and self.incidents > reported:
            self.progress(self.incidents - reported)
        self.writer.close()
        self._fh_person_truth.close()
        self._fh_incident_truth.close()
        self._fh_patterns.close()
        return ShardResult(
            self.name,
            dict(self.writer.counts),
            dict(self.pattern_counts),
            self.incidents,
            self.incidents_last_year,
            self.careers,
        )

    # -- one career ---------------------------------------------------------------------------------

    def career(self, kind: str | None) -> None:
        rng = self.rng
        self.careers += 1
        buf: list[PersonRow] = []
        perp_sex = "M" if rng.random() < cal.P_MALE_PERPETRATOR or kind in ("escalation", "serial_campaign") else "F"
        victim_sex = "F" if perp_sex == "M" else ("M" if rng.random() < 0.8 else "F")
        span_days = (REF - self.window_start).days
        if kind is not None or self.movers:
            start = self.window_start + timedelta(days=rng.randint(0, max(1, span_days - 420)))
        else:
            start = self.window_start + timedelta(days=rng.randint(-365, span_days))
        home = rng.choice(self.forces)
        pilot = cal.DAPO_PILOT_START.get(home)
        if kind == "duty_holder" and pilot and rng.random() < 0.6:
            start = pilot + timedelta(days=rng.randint(0, max(1, (REF - pilot).days - 200)))
        perp = self.new_person(perp_sex, (18, 60), home, start)
        if rng.random() < 0.05:
            perp.alias = f"{rng.choice(MALE_FIRST if perp_sex == 'M' else FEMALE_FIRST)} {rng.choice(SURNAMES)}"

        # victims and the forces they live in
        if kind == "serial_campaign":
            n_victims = rng.randint(2, 4)
        elif kind == "serial_matac_only":
            n_victims = rng.randint(2, 3)
        elif kind in ("repeat_single", "escalation", "high_risk", "order_breach", "duty_holder"):
            n_victims = 1
        elif self.movers:
            n_victims = rng.randint(2, 4)
        else:
            n_victims = 1 if rng.random() >= cal.P_SERIAL_CAREER else 2 + geometric(rng, cal.EXTRA_VICTIMS_MEAN)
        victim_forces = [home] * n_victims
        if self.movers:
            others = [f for f in self.forces if f != home] or [home]
            route = [home, *rng.sample(others, min(len(others), rng.randint(1, 3)))]
            victim_forces = [route[min(len(route) - 1, i * len(route) // n_victims)] for i in range(n_victims)]

        schedule: list[Event] = []
        victims: list[Victim] = []
        t = datetime.combine(start, time(12, 0))
        for k in range(n_victims):
            vf = victim_forces[k]
            if k > 0 and vf != victim_forces[k - 1]:
                perp.residences.append(self.residence(vf, t.date() - timedelta(days=rng.randint(20, 120))))
            family = kind is None and not self.movers and rng.random() < cal.P_FAMILY_VICTIM and k == 0
            if family:
                v = self.new_person(rng.choice("MF"), (16, 80), vf, t.date())
                v.residences = [perp.residence_at(t.date())]
            else:
                perp_age = REF.year - perp.dob.year
                v = self.new_person(victim_sex, (max(16, perp_age - 10), max(18, perp_age + 3)), vf, t.date())
                if rng.random() < 0.5:
                    v.residences = [perp.residence_at(t.date())]
            if not family and rng.random() < 0.04:
                v.name_changes.append((t.date() + timedelta(days=rng.randint(30, 700)), rng.choice(SURNAMES)))
            victims.append(
                Victim(
                    v, "FAMILY" if family else "INTIMATE_PARTNER", vf, t.date() - timedelta(days=rng.randint(60, 2500))
                )
            )
            if kind == "repeat_single":
                n = rng.randint(5, 12)
                gap = 300 / n
            elif kind == "escalation":
                n = rng.randint(4, 5)
                gap = 45.0
            elif kind == "high_risk":
                n = rng.randint(1, 3)
                gap = 40.0
            elif kind in ("order_breach", "duty_holder"):
                n = rng.randint(1, 2)
                gap = 30.0
            else:
                n = 1 if rng.random() < cal.P_SINGLE_INCIDENT_PAIR else 2 + geometric(rng, cal.REPEAT_EXTRA_MEAN)
                gap = rng.uniform(20, 120)
            when = t
            for j in range(n):
                ev = Event(self.when_on(when.date()), self._next_seq(), k)
                if kind == "escalation":
                    ev.offence = ESCALATION_CHAIN[j] if n == 5 else ESCALATION_CHAIN[j + 1]
                    chain_inds = []
                    if j >= 1:
                        chain_inds.append("SEPARATION")
                    if j >= 2:
                        chain_inds.append("ESCALATION")
                    if ev.offence == "STRANGULATION":
                        chain_inds.append("NON_FATAL_STRANGULATION")
                        ev.grade = "HIGH"
                    ev.indicators = tuple(chain_inds)
                elif kind == "high_risk":
                    ev.offence = rng.choice(("ABH", "THREATS_TO_KILL", "STRANGULATION"))
                    ev.indicators = tuple(rng.sample(("WEAPON", "THREATS_TO_KILL", "SEPARATION", "PREGNANCY"), 2))
                    ev.grade = "HIGH"
                elif kind == "duty_holder" and j == 0:
                    ev.offence = rng.choice(("STALKING", "STALKING_FEAR_OF_VIOLENCE", "ABH"))
                    ev.force_arrest = True
                elif kind == "order_breach" and j == 0:
                    ev.offence = rng.choice(("ABH", "COMMON_ASSAULT", "HARASSMENT"))
                    ev.force_arrest = True
                elif kind == "serial_campaign" and k == 0 and j == 0:
                    ev.offence = rng.choice(("ABH", "COMMON_ASSAULT", "COERCIVE_CONTROL"))
                    ev.force_arrest = True
                schedule.append(ev)
                step = gap * (0.8 if kind == "escalation" else rng.uniform(0.3, 1.7))
                gap *= 0.85 if n > 3 else 1.0
                when = when + timedelta(days=max(1.0, step))
            t = when + timedelta(days=rng.uniform(30, 200) if kind != "serial_matac_only" else rng.uniform(20, 150))
        heapq.heapify(schedule)

        # state while the career is told in time order
        orders: list[Order] = []
        emitted: list[EmittedIncident] = []
        qualifying: list[tuple[date, str]] = []
        breaches: list[tuple[date, str]] = []
        forces_seen: dict[str, date] = {}
        no_qualifying = kind == "serial_matac_only"
        ensure_conviction = kind in ("serial_campaign", "order_breach")
        ensure_duty_order = kind == "duty_holder"

        while schedule:
            ev = heapq.heappop(schedule)
            if ev.when > REF_END:
                break
            if ev.when < self.window_start_dt:
                continue
            vic = victims[ev.victim]
            vic.incidents += 1
            d = ev.when.date()
            force = vic.force
            offence = ev.offence or self.sample_offence()
            if offence == "MURDER":
                schedule = [e for e in schedule if e.victim != ev.victim]
                heapq.heapify(schedule)
            indicators = list(ev.indicators)
            breached = [o for o in orders if o.victim == ev.victim and o.active(d)]
            if breached and ev.offence is None and breached[0].breach_offence and rng.random() < 0.6:
                offence = "BREACH_OF_ORDER"
            inc_uid, grade, inds = self.incident(
                perp, vic, force, ev.when, offence, indicators, ev.grade, bool(breached), buf
            )
            self.incidents += 1
            if ev.when >= self.last_year_start:
                self.incidents_last_year += 1
            emitted.append(EmittedIncident(ev.when, vic.person.pid, GRAVITY[offence], grade, inds, force, inc_uid))
            forces_seen.setdefault(force, d)
            for b in breached:
                self.write(
                    "breach",
                    force,
                    "B",
                    order_ref=b.uid,
                    incident_ref=inc_uid,
                    person_ref=self.record(perp, force, d, buf),
                    breach_date=d,
                    kind="CONTACT",
                    details=f"Contact with protected person in breach of {b.order_type}",
                )
                breaches.append((d, b.uid))
            if offence in _STALKING_OFFENCES and not no_qualifying and rng.random() < cal.P_SPO_PER_STALKING_CRIME:
                o = self.order(
                    perp, vic, ev.victim, "SPO", d + timedelta(days=rng.randint(20, 90)), inc_uid, force, buf
                )
                if o:
                    orders.append(o)
            if vic.incidents == 2 and not no_qualifying and rng.random() < cal.P_NMO_PER_REPEAT_PAIR:
                o = self.order(
                    perp, vic, ev.victim, "NON_MOLESTATION", d + timedelta(days=rng.randint(14, 60)), None, force, buf
                )
                if o:
                    orders.append(o)
            if _VOC.offences[offence].get("crime", True):
                self.outcomes(
                    perp,
                    vic,
                    ev,
                    offence,
                    inc_uid,
                    force,
                    buf,
                    orders,
                    qualifying,
                    schedule,
                    no_qualifying=no_qualifying,
                    convict=ensure_conviction and ev.force_arrest,
                    duty_order=ensure_duty_order and ev.force_arrest,
                    plant_breach=kind == "order_breach",
                )
                if ev.force_arrest:
                    ensure_duty_order = False
        # duties under orders, then the other agencies' view of the person
        unnotified = self.duties(perp, orders, buf, force_breach=kind == "duty_holder")
        self.episodes(perp, victims, emitted, buf)
        self.flush_people(buf)
        qualifying.extend((o.start, "ORDER") for o in orders if _VOC.orders[o.order_type].get("qualifies_serial"))
        self.truth(perp, kind, emitted, qualifying, breaches, forces_seen, unnotified)

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    # -- incidents ----------------------------------------------------------------------------------

    def sample_offence(self) -> str:
        rng = self.rng
        if rng.random() >= _CRIME_SHARE:
            return "DA_NON_CRIME"
        return _CRIME_CODES[bisect.bisect_left(_CRIME_CUM, rng.random())]

    def incident(
        self,
        perp: TruePerson,
        vic: Victim,
        force: str,
        when: datetime,
        offence: str,
        planted_indicators: list[str],
        planted_grade: str | None,
        breach: bool,
        buf: list[PersonRow],
    ) -> tuple[str, str | None, tuple[str, ...]]:
        rng = self.rng
        d = when.date()
        inds = dict.fromkeys(planted_indicators)
        implied = _OFFENCE_INDICATOR.get(offence)
        if implied:
            inds[implied] = None
        if breach:
            inds["ORDER_BREACH"] = None
        for code in _INDICATOR_ORDER:
            if rng.random() < _INDICATOR_P[code]:
                inds[code] = None
        indicators = tuple(c for c in _VOC.indicators if c in inds)
        grade = planted_grade
        if grade is None and rng.random() < cal.DASH_ASSESSED_SHARE:
            strong = any(c in inds for c in cal.STRONG_INDICATORS)
            if rng.random() < (cal.HIGH_GIVEN_STRONG if strong else _P_HIGH_OTHERWISE):
                grade = "HIGH"
            else:
                grade = "MEDIUM" if rng.random() < _P_MEDIUM_OTHERWISE else "STANDARD"
        lag = timedelta(minutes=rng.randint(5, 240))
        if rng.random() < 0.12:
            lag = timedelta(days=rng.uniform(1, 30))
        reported = min(when + lag, max(when, REF_END))
        is_crime = bool(_VOC.offences[offence].get("crime", True))
        is_stalking = offence in _STALKING_OFFENCES or "STALKING" in inds
        res = perp.residence_at(d) if rng.random() < 0.5 else vic.person.residence_at(d)
        location = res.postcode if res.force == force else self.postcode(force)[0]
        inc_id = self.new_id("I")
        inc_uid = f"{force}/{inc_id}"
        row: dict[str, Any] = {
            "source_system": force,
            "record_id": inc_id,
            "record_version": 1,
            "occurred_at": iso_dt(when),
            "reported_at": iso_dt(reported),
            "agency_code": force,
            "offence_code": offence,
            "is_crime": is_crime,
            "is_stalking": is_stalking,
        }
        if grade:
            row["dash_grade"] = grade
        if indicators:
            row["risk_indicators"] = list(indicators)
        row["location_postcode"] = location
        if is_crime and offence != "BREACH_OF_ORDER" and rng.random() < 0.01:
            # first recorded as a non-crime incident, reclassified later under the same id
            first = dict(row, offence_code="DA_NON_CRIME", is_crime=False, is_stalking="STALKING" in inds)
            self.writer.write("incident", first)
            row["record_version"] = 2
        self.writer.write("incident", row)
        true_id = f"TI-{inc_id[1:]}"
        self._fh_incident_truth.write(f"{inc_uid},{true_id}\n")
        perp_ref = self.record(perp, force, d, buf)
        vic_ref = self.record(vic.person, force, d, buf)
        self.write("involvement", force, "V", incident_ref=inc_uid, person_ref=perp_ref, role="SUSPECT")
        self.write("involvement", force, "V", incident_ref=inc_uid, person_ref=vic_ref, role="VICTIM")
        if rng.random() < cal.P_WITNESS:
            w = self.new_person(rng.choice("MF"), (16, 75), force, d)
            self.write(
                "involvement",
                force,
                "V",
                incident_ref=inc_uid,
                person_ref=self.record(w, force, d, buf),
                role="WITNESS",
            )
        if not vic.recorded_relationship:
            vic.recorded_relationship = True
            kind = vic.kind
            end = None
            if kind == "INTIMATE_PARTNER" and "SEPARATION" in inds:
                kind, end = "FORMER_PARTNER", d - timedelta(days=rng.randint(1, 60))
            self.write(
                "relationship",
                force,
                "R",
                person_ref=perp_ref,
                other_ref=vic_ref,
                kind=kind,
                start_date=vic.rel_start,
                end_date=max(end, vic.rel_start) if end else None,
            )
        if grade in ("MEDIUM", "HIGH"):
            score = rng.randint(8, 13) if grade == "MEDIUM" or rng.random() < 0.15 else rng.randint(14, 24)
            self.write(
                "assessment",
                force,
                "S",
                kind="DASH",
                person_ref=vic_ref,
                incident_ref=inc_uid,
                grade=grade,
                score=score,
                assessed_at=d,
                agency_code=force,
                risk_indicators=list(indicators),
                notes=None if score >= 14 or grade != "HIGH" else "Graded high on professional judgement",
            )
        if grade == "HIGH" and rng.random() < cal.P_IDVA_GIVEN_HIGH:
            idva = f"IDVA-{force}"
            ref = self.record(vic.person, idva, d + timedelta(days=rng.randint(1, 14)), buf)
            self.write(
                "assessment",
                idva,
                "S",
                kind="DASH",
                person_ref=ref,
                grade="HIGH",
                score=rng.randint(14, 22),
                assessed_at=min(REF, d + timedelta(days=rng.randint(1, 14))),
                agency_code=idva,
            )
        if grade == "HIGH" and rng.random() < cal.P_MARAC_GIVEN_HIGH:
            case = self.new_id("MARAC-")
            on = min(REF, d + timedelta(days=rng.randint(7, 35)))
            self.write(
                "episode",
                force,
                "E",
                kind="MARAC",
                person_ref=vic_ref,
                role="VICTIM",
                case_id=case,
                start_date=on,
                decision="ACTION_PLAN",
                agency_code=force,
            )
            self.write(
                "episode",
                force,
                "E",
                kind="MARAC",
                person_ref=perp_ref,
                role="PERPETRATOR",
                case_id=case,
                start_date=on,
                agency_code=force,
            )
        if rng.random() < cal.P_DUPLICATE_INCIDENT:
            self.duplicate_incident(perp, vic, force, when, offence, indicators, true_id, buf)
        return inc_uid, grade, indicators

    def duplicate_incident(
        self,
        perp: TruePerson,
        vic: Victim,
        force: str,
        when: datetime,
        offence: str,
        indicators: tuple[str, ...],
        true_id: str,
        buf: list[PersonRow],
    ) -> None:
        """The same incident recorded by a second force (e.g. reported where the victim lives)."""
        rng = self.rng
        other = vic.person.residence_at(when.date()).force
        if other == force:
            neighbours = [f for f in _VOC.forces if f != force]
            other = neighbours[rng.randrange(len(neighbours))]
        shifted = when + timedelta(minutes=rng.randint(-90, 90))
        shifted = min(shifted, REF_END)
        inc_id = self.new_id("I")
        uid = f"{other}/{inc_id}"
        alt = offence
        if offence == "COMMON_ASSAULT" and rng.random() < 0.5:
            alt = "ABH"
        row = {
            "source_system": other,
            "record_id": inc_id,
            "record_version": 1,
            "occurred_at": iso_dt(shifted),
            "reported_at": iso_dt(min(REF_END, shifted + timedelta(hours=rng.randint(2, 72)))),
            "agency_code": other,
            "offence_code": alt,
            "is_crime": bool(_VOC.offences[alt].get("crime", True)),
            "is_stalking": alt in _STALKING_OFFENCES or "STALKING" in indicators,
        }
        if indicators:
            row["risk_indicators"] = list(indicators)
        self.writer.write("incident", row)
        self._fh_incident_truth.write(f"{uid},{true_id}\n")
        d = when.date()
        self.write(
            "involvement", other, "V", incident_ref=uid, person_ref=self.record(perp, other, d, buf), role="SUSPECT"
        )
        self.write(
            "involvement",
            other,
            "V",
            incident_ref=uid,
            person_ref=self.record(vic.person, other, d, buf),
            role="VICTIM",
        )

    # -- outcomes and orders ------------------------------------------------------------------------

    def arrest_pnc(self, perp: TruePerson, d: date) -> None:
        if perp.pnc is None:
            year = max(d.year, perp.dob.year + 10)
            perp.pnc = f"{year}/{self.rng.randint(1, 9999999):07d}{chr(65 + self.rng.randrange(26))}"
            perp.pnc_from = d

    def outcomes(
        self,
        perp: TruePerson,
        vic: Victim,
        ev: Event,
        offence: str,
        inc_uid: str,
        force: str,
        buf: list[PersonRow],
        orders: list[Order],
        qualifying: list[tuple[date, str]],
        schedule: list[Event],
        *,
        no_qualifying: bool,
        convict: bool,
        duty_order: bool,
        plant_breach: bool,
    ) -> None:
        rng = self.rng
        d = ev.when.date()
        if not (ev.force_arrest or rng.random() < cal.P_ARREST):
            return
        a_date = min(REF, d + timedelta(days=rng.choice((0, 0, 0, 1, 2))))
        pref = self.record(perp, force, a_date, buf)
        self.arrest_pnc(perp, a_date)
        self.write(
            "outcome",
            force,
            "O",
            person_ref=pref,
            incident_ref=inc_uid,
            kind="ARREST",
            outcome_date=a_date,
            agency_code=force,
        )
        g = GRAVITY[offence]
        p_charge = min(0.9, cal.P_CHARGE_NATURAL / cal.P_ARREST * g / _MEAN_CRIME_GRAVITY)
        p_caution = cal.P_CAUTION / cal.P_ARREST
        pilot = cal.DAPO_PILOT_START.get(force)
        dapo = pilot is not None and a_date >= pilot
        if duty_order and not no_qualifying:
            if dapo or offence not in _STALKING_OFFENCES:
                otype = "DAPO" if dapo else rng.choice(("VOO", "SPO"))
            else:
                otype = "SPO"
            o = self.order(
                perp,
                vic,
                ev.victim,
                otype,
                min(REF, a_date + timedelta(days=rng.randint(2, 40))),
                inc_uid,
                force,
                buf,
                full_duties=True,
            )
            if o:
                orders.append(o)
        elif not no_qualifying and rng.random() < (cal.P_DAPN_PER_ARREST_PILOT if dapo else cal.P_DVPN_PER_ARREST):
            notice, order = ("DAPN", "DAPO") if dapo else ("DVPN", "DVPO")
            n = self.order(perp, vic, ev.victim, notice, a_date, inc_uid, force, buf)
            if n:
                orders.append(n)
                if rng.random() < (cal.P_DAPO_GIVEN_DAPN if dapo else cal.P_DVPO_GIVEN_DVPN):
                    o = self.order(
                        perp, vic, ev.victim, order, min(REF, a_date + timedelta(days=2)), inc_uid, force, buf
                    )
                    if o:
                        orders.append(o)
        r = rng.random()
        if no_qualifying:
            r = 1.0
        if convict or r < p_charge:
            c_date = min(REF, a_date + timedelta(days=rng.randint(0, 3)))
            self.write(
                "outcome",
                force,
                "O",
                person_ref=pref,
                incident_ref=inc_uid,
                kind="CHARGE",
                outcome_date=c_date,
                offence_code=offence,
                agency_code=force,
            )
            court_date = c_date + timedelta(days=rng.randint(30, 300) if not convict else rng.randint(20, 90))
            if court_date > REF:
                return
            cref = self.record(perp, COURT, court_date, buf)
            if convict or rng.random() < cal.P_CONVICTION_NATURAL:
                stype, months = self.sentence(g)
                if convict and stype == "CUSTODY":
                    stype = "SUSPENDED"  # planted: keep the person in the community for the rest of the story
                self.write(
                    "outcome",
                    COURT,
                    "O",
                    person_ref=cref,
                    incident_ref=inc_uid,
                    kind="CONVICTION",
                    outcome_date=court_date,
                    offence_code=offence,
                    sentence_months=months,
                    sentence_type=stype,
                    court=f"{_VOC.forces[force].split(' ')[0]} Magistrates' Court" if g < 7 else "Crown Court",
                    agency_code=COURT,
                )
                qualifying.append((court_date, "CONVICTION"))
                self.probation(perp, force, court_date, stype, months, offence, buf)
                if rng.random() < cal.P_RESTRAINING_ON_CONVICTION or plant_breach:
                    o = self.order(perp, vic, ev.victim, "RESTRAINING", court_date, inc_uid, force, buf)
                    if o:
                        orders.append(o)
                        if plant_breach:
                            # the planted breach: contact with the protected person while the order runs
                            when = court_date + timedelta(days=rng.randint(20, 200))
                            if stype == "CUSTODY" and months:
                                when += timedelta(days=months * 15)
                            schedule.append(Event(self.when_on(when), self._next_seq(), ev.victim))
                            heapq.heapify(schedule)
                if rng.random() < cal.P_CBO_ON_CONVICTION:
                    o = self.order(perp, vic, None, "CBO", court_date, inc_uid, force, buf)
                    if o:
                        orders.append(o)
                if stype == "CUSTODY" and months:
                    release = court_date + timedelta(days=months * 15)
                    self.shift_for_custody(schedule, court_date, release)
                    if (
                        _VOC.offences[offence].get("schedule15")
                        and months >= 12
                        and rng.random() < cal.P_VOO_ON_SCHEDULE15_CUSTODY
                    ):
                        o = self.order(perp, vic, None, "VOO", min(REF, release), inc_uid, force, buf)
                        if o:
                            orders.append(o)
            else:
                self.write(
                    "outcome",
                    COURT,
                    "O",
                    person_ref=cref,
                    incident_ref=inc_uid,
                    kind="ACQUITTAL",
                    outcome_date=court_date,
                    offence_code=offence,
                    agency_code=COURT,
                )
                qualifying.append((court_date, "ACQUITTAL"))
                if rng.random() < cal.P_RESTRAINING_ON_ACQUITTAL:
                    o = self.order(perp, vic, ev.victim, "RESTRAINING", court_date, inc_uid, force, buf)
                    if o:
                        orders.append(o)
        elif r < p_charge + p_caution:
            caution_date = min(REF, a_date + timedelta(days=rng.randint(0, 20)))
            self.write(
                "outcome",
                force,
                "O",
                person_ref=pref,
                incident_ref=inc_uid,
                kind="CAUTION",
                outcome_date=caution_date,
                offence_code=offence,
                agency_code=force,
            )
            qualifying.append((caution_date, "CAUTION"))
        else:
            self.write(
                "outcome",
                force,
                "O",
                person_ref=pref,
                incident_ref=inc_uid,
                kind="NFA",
                outcome_date=min(REF, a_date + timedelta(days=rng.randint(0, 60))),
                agency_code=force,
            )

    def shift_for_custody(self, schedule: list[Event], start: date, release: date) -> None:
        """Nothing happens while the person is in custody: later incidents move past the release date."""
        shift = timedelta(days=(release - start).days)
        cut = datetime.combine(start, time(0, 0))
        for e in schedule:
            if e.when >= cut:
                e.when = e.when + shift
        heapq.heapify(schedule)

    def sentence(self, gravity: int) -> tuple[str, int | None]:
        rng = self.rng
        p_custody = 0.85 if gravity >= 8 else 0.45 if gravity >= 6 else 0.15 if gravity >= 4 else 0.05
        r = rng.random()
        if r < p_custody:
            lo, hi = (60, 180) if gravity >= 9 else (24, 96) if gravity >= 8 else (6, 36) if gravity >= 6 else (1, 12)
            return "CUSTODY", rng.randint(lo, hi)
        r = rng.random()
        if r < 0.35:
            return "SUSPENDED", rng.randint(3, 24)
        if r < 0.8:
            return "COMMUNITY", rng.randint(12, 36)
        return ("FINE", None) if r < 0.93 else ("DISCHARGE", None)

    def order(
        self,
        perp: TruePerson,
        vic: Victim,
        victim_index: int | None,
        otype: str,
        start: date,
        inc_uid: str | None,
        force: str,
        buf: list[PersonRow],
        full_duties: bool = False,
    ) -> Order | None:
        """Make one order of ``otype`` from ``start``; returns None when it would start after the reference date."""
        rng = self.rng
        if start > REF:
            return None
        spec = _VOC.orders[otype]
        police_made = spec["made_by"] == "police"
        source = force if police_made else COURT
        end: date | None
        if otype in ("DVPN", "DAPN"):
            end = start + timedelta(days=2)
        elif otype == "DVPO":
            end = start + timedelta(days=rng.randint(*cal.DVPO_DAYS))
        elif otype == "RESTRAINING":
            end = (
                None
                if rng.random() < cal.P_RESTRAINING_UNTIL_FURTHER
                else start + timedelta(days=rng.randint(*cal.RESTRAINING_DAYS))
            )
        elif otype == "NON_MOLESTATION":
            end = start + timedelta(days=rng.randint(*cal.NMO_DAYS))
        elif otype == "SPO":
            end = start + timedelta(days=rng.randint(*cal.SPO_DAYS))
        elif otype == "CBO":
            end = start + timedelta(days=rng.randint(*cal.CBO_DAYS))
        elif otype == "VOO":
            end = start + timedelta(days=rng.randint(*cal.VOO_DAYS))
        else:  # DAPO
            end = None if rng.random() < cal.P_DAPO_OPEN_ENDED else start + timedelta(days=rng.randint(*cal.DAPO_DAYS))
        duties = [d["duty"] for d in spec.get("duties", [])]
        conditions = []
        if victim_index is not None:
            conditions.append("No contact with the protected person, directly or indirectly")
            if otype not in ("CBO", "VOO"):
                conditions.append("Not to enter the street where the protected person lives")
        if otype == "DAPO":
            if full_duties or rng.random() < cal.P_DAPO_TREATMENT:
                duties.append("TREATMENT")
                conditions.append("Attend a domestic abuse perpetrator programme")
            if full_duties or rng.random() < cal.P_DAPO_RELATIONSHIP:
                duties.append("RELATIONSHIP")
                conditions.append("Notify the police of any new intimate relationship within 3 days")
            if full_duties or rng.random() < cal.P_DAPO_TRAVEL:
                duties.append("TRAVEL")
        if otype in ("CBO", "VOO"):
            conditions.append("Not to be in possession of a bladed article in public")
        subject = self.record(perp, source, start, buf)
        protected = [self.record(vic.person, source, start, buf)] if victim_index is not None else []
        uid = self.write(
            "order",
            source,
            "D",
            order_type=otype,
            subject_ref=subject,
            protected_refs=protected,
            start_date=start,
            end_date=end,
            conditions=conditions,
            duties=duties,
            jurisdiction="ENGLAND_WALES",
            issuing_agency=source,
            incident_ref=inc_uid,
        )
        return Order(uid, otype, start, end, victim_index, duties, bool(spec.get("breach_offence")), source, force)

    def probation(
        self,
        perp: TruePerson,
        force: str,
        court_date: date,
        stype: str,
        months: int | None,
        offence: str,
        buf: list[PersonRow],
    ) -> None:
        if stype not in ("CUSTODY", "SUSPENDED", "COMMUNITY"):
            return
        region = cal.PROBATION_REGION[force]
        ref = self.record(perp, region, court_date, buf)
        spec = _VOC.offences[offence]
        if (
            stype == "CUSTODY"
            and months
            and months >= 12
            and (spec.get("schedule15") or (spec.get("coercive_control") and court_date >= date(2025, 2, 3)))
        ):
            self.write(
                "episode",
                region,
                "E",
                kind="MAPPA",
                person_ref=ref,
                role="SUBJECT",
                category="CAT2",
                level=1,
                start_date=court_date,
                agency_code=region,
            )
        if self.rng.random() < cal.P_PROFESSIONAL_JUDGEMENT * 10:
            self.write(
                "assessment",
                region,
                "S",
                kind="PROFESSIONAL_JUDGEMENT",
                person_ref=ref,
                at_risk_of_offending=True,
                assessed_at=min(REF, court_date + timedelta(days=self.rng.randint(10, 120))),
                agency_code=region,
                notes="Offender manager judges a continuing risk of domestic abuse to future partners",
            )

    # -- duties under orders -----------------------------------------------------------------------

    def duties(
        self, perp: TruePerson, orders: list[Order], buf: list[PersonRow], force_breach: bool
    ) -> list[dict[str, Any]]:
        """Changes of name, address, travel and relationships while duties run; notified or not."""
        rng = self.rng
        breaches: list[dict[str, Any]] = []
        duty_orders = [o for o in orders if o.duties]
        for n_order, o in enumerate(duty_orders):
            last = min(REF, o.end) if o.end else REF
            if (last - o.start).days < 20:
                continue
            available = [d for d in ("ADDRESS", "NAME", "TRAVEL", "RELATIONSHIP") if d in o.duties]
            forced = None
            if force_breach and n_order == 0 and available:
                # planted duty holders take turns at each kind of unnotified change
                self._forced_turn += 1
                wanted = ("ADDRESS", "NAME", "TRAVEL", "RELATIONSHIP")[self._forced_turn % 4]
                forced = wanted if wanted in available else rng.choice(available)
            home = o.force
            probs = {
                "ADDRESS": cal.P_MOVE_UNDER_DUTY,
                "NAME": cal.P_NAME_CHANGE_UNDER_DUTY,
                "TRAVEL": cal.P_TRAVEL_UNDER_DUTY,
                "RELATIONSHIP": cal.P_NEW_RELATIONSHIP_UNDER_DUTY,
            }
            for duty in ("ADDRESS", "NAME", "TRAVEL", "RELATIONSHIP"):
                happens = duty == forced or rng.random() < probs[duty]
                if not happens:
                    continue
                deadline = next(
                    (d["deadline_days"] for d in _VOC.orders[o.order_type].get("duties", []) if d["duty"] == duty),
                    _VOC.duties[duty]["deadline_days"],
                )
                lo = o.start + timedelta(days=10)
                hi = last - timedelta(days=deadline + 2)
                if hi <= lo:
                    continue
                when = lo + timedelta(days=rng.randint(0, (hi - lo).days))
                r = rng.random()
                if duty == forced:
                    status = "NONE" if rng.random() < 0.8 else "LATE"
                elif duty not in o.duties:
                    status = "NOT_REQUIRED"
                else:
                    status = (
                        "IN_TIME"
                        if r < cal.P_NOTIFIED_IN_TIME
                        else "LATE"
                        if r < cal.P_NOTIFIED_IN_TIME + cal.P_NOTIFIED_LATE
                        else "NONE"
                    )
                evidence, details = self.duty_event(perp, duty, when, home, buf)
                if duty == "TRAVEL":
                    in_time = when - timedelta(days=rng.randint(deadline, deadline + 30))
                    late = when - timedelta(days=rng.randint(0, deadline - 1))
                    due = when - timedelta(days=deadline)
                else:
                    in_time = when + timedelta(days=rng.randint(0, deadline))
                    late = when + timedelta(days=rng.randint(deadline + 1, deadline + 40))
                    due = when + timedelta(days=deadline)
                notified = in_time if status == "IN_TIME" else late if status == "LATE" else None
                if notified is not None and notified <= REF:
                    self.write(
                        "notification",
                        home,
                        "T",
                        person_ref=self.record(perp, home, notified, buf),
                        kind=duty,
                        notified_at=iso_dt(self.when_on(notified)),
                        effective_date=when,
                        details=details,
                        received_by=home,
                        order_ref=o.uid,
                    )
                if status in ("LATE", "NONE") and due < REF:
                    breaches.append(
                        {
                            "pattern": f"UNNOTIFIED_{duty}",
                            "holds_from": due + timedelta(days=1),
                            "details": {
                                "order": o.uid,
                                "order_type": o.order_type,
                                "effective_date": when.isoformat(),
                                "deadline_days": deadline,
                                "notified_late": status == "LATE",
                                "notified_on": notified.isoformat() if notified and notified <= REF else None,
                                "evidence": evidence,
                            },
                        }
                    )
            if "TREATMENT" in o.duties:
                region = cal.PROBATION_REGION[home]
                ref = self.record(perp, region, o.start, buf)
                session = o.start + timedelta(days=rng.randint(7, 28))
                for _ in range(rng.randint(4, 20)):
                    if session > last:
                        break
                    if rng.random() < 0.85:
                        self.write(
                            "notification",
                            region,
                            "T",
                            person_ref=ref,
                            kind="TREATMENT_ATTENDANCE",
                            notified_at=iso_dt(self.when_on(session)),
                            effective_date=session,
                            details="Attended programme session",
                            received_by=region,
                            order_ref=o.uid,
                        )
                    session += timedelta(days=7)
        if not duty_orders and rng.random() < 0.002:
            # travel by someone with no travel duty: a negative control for the travel check
            self.duty_event(perp, "TRAVEL", REF - timedelta(days=rng.randint(30, 700)), perp.residences[0].force, buf)
        return breaches

    def duty_event(self, perp: TruePerson, duty: str, when: date, home: str, buf: list[PersonRow]) -> tuple[str, str]:
        """Write the record that shows the change; returns (evidence uid, notification details)."""
        rng = self.rng
        if duty == "ADDRESS":
            force = home if rng.random() < 0.7 else rng.choice(sorted(_VOC.forces))
            res = self.residence(force, when)
            perp.residences.append(res)
            ref = self.record(perp, force, when, buf)
            uid = self.write(
                "address",
                force,
                "A",
                person_ref=ref,
                line1=res.line1,
                town=res.town,
                postcode=res.postcode,
                force_area=force,
                from_date=when,
            )
            return uid, f"New address {res.line1}, {res.town} {res.postcode}"
        if duty == "NAME":
            new_last = rng.choice(SURNAMES)
            perp.name_changes.append((when, new_last))
            ref = self.record(perp, home, when, buf, fresh=True)
            res = perp.residence_at(when)
            self.write(
                "address",
                home,
                "A",
                person_ref=ref,
                line1=res.line1,
                town=res.town,
                postcode=res.postcode,
                force_area=res.force,
                from_date=when,
            )
            return ref, f"Changed name by deed poll to {perp.first} {new_last}"
        if duty == "TRAVEL":
            ref = self.record(perp, BORDER, when, buf, fresh=True)
            dest = rng.choice(DESTINATIONS)
            uid = self.write(
                "travel",
                BORDER,
                "J",
                person_ref=ref,
                departure_date=when,
                return_date=when + timedelta(days=rng.randint(3, 21)),
                destination=dest,
                port=rng.choice(PORTS),
            )
            return uid, f"Travel to {dest} departing {when.isoformat()}"
        # RELATIONSHIP: a new partner becomes known to the home force
        partner = self.new_person("F" if perp.sex == "M" else "M", (18, 55), home, when)
        pref = self.record(perp, home, when, buf)
        oref = self.record(partner, home, when, buf)
        uid = self.write(
            "relationship", home, "R", person_ref=pref, other_ref=oref, kind="INTIMATE_PARTNER", start_date=when
        )
        if rng.random() < 0.3:
            case = self.new_id("DVDS-")
            on = min(REF, when + timedelta(days=rng.randint(5, 60)))
            cat = rng.choice(("RIGHT_TO_ASK", "RIGHT_TO_KNOW"))
            self.write(
                "episode",
                home,
                "E",
                kind="DVDS",
                person_ref=oref,
                role="APPLICANT",
                case_id=case,
                category=cat,
                start_date=on,
                decision="DISCLOSED",
                agency_code=home,
            )
            self.write(
                "episode",
                home,
                "E",
                kind="DVDS",
                person_ref=pref,
                role="SUBJECT",
                case_id=case,
                category=cat,
                start_date=on,
                decision="DISCLOSED",
                agency_code=home,
            )
        return uid, f"New relationship with {partner.first} {partner.last}"

    # -- multi-agency episodes --------------------------------------------------------------------

    def episodes(
        self, perp: TruePerson, victims: list[Victim], emitted: list[EmittedIncident], buf: list[PersonRow]
    ) -> None:
        rng = self.rng
        if len({e.victim_pid for e in emitted}) < 2:
            return
        force = emitted[-1].force
        if force in cal.MATAC_FORCES and rng.random() < 0.4:
            on = min(REF, emitted[-1].when.date() + timedelta(days=rng.randint(10, 60)))
            self.write(
                "episode",
                force,
                "E",
                kind="MATAC",
                person_ref=self.record(perp, force, on, buf),
                role="PERPETRATOR",
                case_id=self.new_id("MATAC-"),
                start_date=on,
                decision=rng.choice(("ADOPTED", "NOT_ADOPTED")),
                agency_code=force,
            )
        last_victim = victims[-1]
        if last_victim.incidents and rng.random() < cal.P_DVDS_PER_NEW_PARTNER_OF_KNOWN:
            on = min(REF, emitted[-1].when.date() - timedelta(days=rng.randint(0, 60)))
            case = self.new_id("DVDS-")
            cat = rng.choice(("RIGHT_TO_ASK", "RIGHT_TO_KNOW"))
            decision = "DISCLOSED" if rng.random() < 0.6 else "NOT_DISCLOSED"
            self.write(
                "episode",
                force,
                "E",
                kind="DVDS",
                person_ref=self.record(last_victim.person, force, on, buf),
                role="APPLICANT" if cat == "RIGHT_TO_ASK" else "OTHER",
                case_id=case,
                category=cat,
                start_date=on,
                decision=decision,
                agency_code=force,
            )
            self.write(
                "episode",
                force,
                "E",
                kind="DVDS",
                person_ref=self.record(perp, force, on, buf),
                role="SUBJECT",
                case_id=case,
                category=cat,
                start_date=on,
                decision=decision,
                agency_code=force,
            )

    # -- ground truth -------------------------------------------------------------------------------

    def truth(
        self,
        perp: TruePerson,
        kind: str | None,
        emitted: list[EmittedIncident],
        qualifying: list[tuple[date, str]],
        breaches: list[tuple[date, str]],
        forces_seen: dict[str, date],
        unnotified: list[dict[str, Any]],
    ) -> None:
        if not emitted:
            return
        pid = perp.pid
        planted = {"planted": kind}
        # distinct victims, and the date the second one appeared
        first_by_victim: dict[str, date] = {}
        for e in emitted:
            first_by_victim.setdefault(e.victim_pid, e.when.date())
        n_victims = len(first_by_victim)
        matac_from = None
        for i, e in enumerate(emitted):
            lo = e.when - timedelta(days=SERIAL_WINDOW_DAYS)
            if any(p.victim_pid != e.victim_pid and p.when >= lo for p in emitted[:i]):
                matac_from = e.when.date()
                break
        campaign_from = None
        if n_victims >= 2 and qualifying:
            second = sorted(first_by_victim.values())[1]
            campaign_from = max(second, min(q[0] for q in qualifying))
            if campaign_from > REF:
                campaign_from = None
        if campaign_from:
            self.pattern(
                "SERIAL_CAMPAIGN",
                pid,
                campaign_from,
                {
                    **planted,
                    "victims": n_victims,
                    "matac_from": matac_from.isoformat() if matac_from else None,
                    "qualifying": sorted({q[1] for q in qualifying if q[0] <= campaign_from}),
                },
            )
        elif matac_from:
            self.pattern("SERIAL_MATAC_ONLY", pid, matac_from, {**planted, "victims": n_victims})
        if len(forces_seen) >= 2:
            second_force_from = sorted(forces_seen.values())[1]
            self.pattern("MOVER", pid, second_force_from, {**planted, "forces": list(forces_seen)})
        # escalation: consecutive incidents with strictly rising gravity, 3 or more within the window
        run_start = 0
        for i in range(1, len(emitted)):
            if emitted[i].gravity <= emitted[i - 1].gravity:
                run_start = i
                continue
            while (emitted[i].when - emitted[run_start].when).days > SERIAL_WINDOW_DAYS:
                run_start += 1
            if i - run_start + 1 >= ESCALATION_MIN:
                chain = emitted[run_start : i + 1]
                self.pattern(
                    "ESCALATION",
                    pid,
                    emitted[i].when.date(),
                    {
                        **planted,
                        "incidents": [e.uid for e in chain],
                        "gravity": [e.gravity for e in chain],
                    },
                )
                break
        if breaches:
            self.pattern(
                "ORDER_BREACH", pid, breaches[0][0], {**planted, "order": breaches[0][1], "breaches": len(breaches)}
            )
        seen_kinds: set[str] = set()
        for b in sorted(unnotified, key=lambda x: x["holds_from"]):
            if b["pattern"] not in seen_kinds:
                seen_kinds.add(b["pattern"])
                self.pattern(b["pattern"], pid, b["holds_from"], {**planted, **b["details"]})
        if n_victims == 1:
            for i in range(REPEAT_MIN - 1, len(emitted)):
                if (emitted[i].when - emitted[i - REPEAT_MIN + 1].when).days <= REPEAT_WINDOW_DAYS:
                    self.pattern(
                        "REPEAT_SINGLE_VICTIM", pid, emitted[i].when.date(), {**planted, "incidents": len(emitted)}
                    )
                    break
        for e in emitted:
            hom = [c for c in e.indicators if c in HOMICIDE_INDICATORS]
            if e.grade == "HIGH" or hom:
                self.pattern(
                    "HIGH_RISK",
                    pid,
                    e.when.date(),
                    {
                        **planted,
                        "incident": e.uid,
                        "dash_grade": e.grade,
                        "indicators": hom,
                    },
                )
                break
