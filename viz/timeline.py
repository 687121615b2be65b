"""One person's incidents over time as a drawable view: gravity up the side, time along the bottom.

Built from the escalation report (incidents with gravity, victims, risk indicators, rising chains,
separation markers) and the person's timeline (orders, outcomes). Geometry is computed here so the
template only draws an SVG: no script, nothing fetched, and it prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from queries.models import EscalationReport, TimelineEvent

WIDTH, HEIGHT = 960, 360
LEFT, RIGHT, TOP, BOTTOM = 56, 20, 20, 96  # the bottom band holds orders and outcomes
MAX_GRAVITY = 10
VICTIM_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#882255", "#332288"]
ESCALATION_COLOUR = "#B00020"


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    uid: str
    on: date
    gravity: int
    offence: str
    victims: str
    colour: str
    escalation: bool
    separation: bool
    indicators: str


@dataclass(frozen=True)
class Marker:
    x: float
    on: date
    kind: str  # ORDER or OUTCOME
    role: str
    caption: str


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str


@dataclass
class TimelineView:
    person_id: str
    width: int = WIDTH
    height: int = HEIGHT
    plot: tuple[int, int, int, int] = (LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM)
    points: list[Point] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)  # SVG polyline point lists, one per rising chain
    separations: list[tuple[float, date, int]] = field(default_factory=list)  # x, date, days to escalation
    markers: list[Marker] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    victims: list[tuple[str, str]] = field(default_factory=list)  # (victim id, colour)
    first: date | None = None
    last: date | None = None

    @property
    def empty(self) -> bool:
        return not self.points and not self.markers


def build_timeline(
    report: EscalationReport, events: list[TimelineEvent], since: date | None = None, until: date | None = None
) -> TimelineView:
    """The timeline view of one person, optionally cut to ``since``..``until``."""
    view = TimelineView(person_id=report.person_id)
    steps = [
        s for s in report.timeline if (not since or s.occurred_on >= since) and (not until or s.occurred_on <= until)
    ]
    marks = [
        e
        for e in events
        if e.kind in ("ORDER", "OUTCOME")
        and e.date
        and (not since or e.date >= since)
        and (not until or e.date <= until)
    ]
    dates = [s.occurred_on for s in steps] + [e.date for e in marks if e.date]
    if not dates:
        return view
    first, last = min(dates), max(dates)
    pad = max(15, (last - first).days // 30)
    lo, hi = first - timedelta(days=pad), last + timedelta(days=pad)
    view.first, view.last = first, last
    x0, y0, x1, y1 = view.plot
    span = max(1, (hi - lo).days)

    def x(d: date) -> float:
        return round(x0 + (x1 - x0) * (d - lo).days / span, 1)

    def y(g: int) -> float:
        return round(y1 - (y1 - y0) * min(g, MAX_GRAVITY) / MAX_GRAVITY, 1)

    victims = sorted({v for s in steps for v in s.victim_ids})
    colour = {v: VICTIM_COLOURS[i % len(VICTIM_COLOURS)] for i, v in enumerate(victims)}
    view.victims = [(v, colour[v]) for v in victims]
    on_path = {s.uid for p in report.paths for s in p.steps}
    separated = {m.separation.uid for m in report.separation_markers}
    for s in steps:
        view.points.append(
            Point(
                x=x(s.occurred_on), y=y(s.gravity), uid=s.uid, on=s.occurred_on, gravity=s.gravity,
                offence=s.offence_code or "incident", victims=", ".join(s.victim_ids) or "none recorded",
                colour=colour[s.victim_ids[0]] if s.victim_ids else "#666666", escalation=s.uid in on_path,
                separation=s.uid in separated, indicators=", ".join(s.indicators),
            )
        )  # fmt: skip
    shown = {s.uid for s in steps}
    for p in report.paths:
        pts = [s for s in p.steps if s.uid in shown]
        if len(pts) > 1:
            view.paths.append(" ".join(f"{x(s.occurred_on)},{y(s.gravity)}" for s in pts))
    for m in report.separation_markers:
        if m.separation.uid in shown:
            view.separations.append((x(m.separation.occurred_on), m.separation.occurred_on, m.days_after))
    for e in marks:
        assert e.date is not None
        view.markers.append(Marker(x=x(e.date), on=e.date, kind=e.kind, role=e.role or "", caption=e.caption))
    view.y_ticks = [Tick(pos=y(g), label=str(g)) for g in range(0, MAX_GRAVITY + 1, 2)]
    view.x_ticks = _date_ticks(lo, hi, x)
    return view


def _date_ticks(lo: date, hi: date, x: object) -> list[Tick]:
    assert callable(x)
    years = hi.year - lo.year
    ticks = []
    if years >= 2:
        step = max(1, years // 8)
        for yr in range(lo.year + 1, hi.year + 1, step):
            ticks.append(Tick(pos=x(date(yr, 1, 1)), label=str(yr)))
    else:
        d = date(lo.year, lo.month, 1)
        months = (hi.year - lo.year) * 12 + hi.month - lo.month
        step = max(1, months // 8)
        while d <= hi:
            if d >= lo:
                ticks.append(Tick(pos=x(d), label=d.strftime("%b %Y")))
            m = d.month - 1 + step
            d = date(d.year + m // 12, m % 12 + 1, 1)
    return ticks
