"""Every figure the generator is calibrated to, with its source (docs/synthetic-data.md lists them).

``Target.verified`` is False where no public source settles the value (domain.md "unverified"): those
are this project's configuration, chosen to be plausible, and kept here rather than buried in code.
Tolerances are what the tests allow between a generated share and its target.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Target:
    value: float
    tolerance: float
    source: str
    verified: bool = True


# Output never depends on the wall clock: every date is relative to this.
REFERENCE_DATE = date(2026, 3, 31)

# ---- volume (ONS, year ending March 2025, published November 2025) -------------------------------
NATIONAL_INCIDENTS_PER_YEAR = 1_350_460
NATIONAL_CRIMES_PER_YEAR = 816_493
NATIONAL_NON_CRIME_PER_YEAR = 533_967

TARGETS: dict[str, Target] = {
    "crime_share": Target(
        NATIONAL_CRIMES_PER_YEAR / NATIONAL_INCIDENTS_PER_YEAR,
        0.02,
        "ONS Nov 2025: 816,493 DA-related crimes of 1,350,460 incidents and crimes",
    ),
    "arrests_per_crime": Target(0.446, 0.03, "ONS Nov 2025: 44.6 arrests per 100 DA-related crimes"),
    "charges_per_crime": Target(
        54_987 / NATIONAL_CRIMES_PER_YEAR,
        0.012,
        "ONS Nov 2025: 54,987 DA-related prosecutions / 816,493 crimes (prosecution used as charge)",
    ),
    "conviction_rate": Target(0.747, 0.04, "ONS Nov 2025: 74.7% of DA-related prosecutions convicted"),
    "pairs_no_repeat": Target(
        0.76, 0.04, "Bland & Ariel 2015 (Suffolk, 36,000 call-outs): 76% of victim-offender pairs no repeat"
    ),
    "serial_share": Target(
        0.10,
        0.04,
        "Robinson, Clancy & Hanks 2014: 4%-20% of perpetrators serial by data source; police data at 10%",
    ),
    "cautions_per_crime": Target(0.02, 0.01, "configuration: cautions not published in domain.md", False),
    "stalking_share": Target(
        0.12, 0.025, "configuration: DA-related stalking/harassment share not published (599,908 is all S&H)", False
    ),
    "dash_high_share": Target(0.12, 0.03, "configuration: share of DASH-graded incidents graded HIGH", False),
    "dash_medium_share": Target(0.26, 0.04, "configuration: share of DASH-graded incidents graded MEDIUM", False),
}

# Frequency of each risk indicator on incidents (share of all incidents). domain.md gives prevalence
# among homicides (stalking 94%, escalation 79%, threats to kill 55%), not per incident: configuration.
INDICATOR_FREQUENCY: dict[str, float] = {
    "NON_FATAL_STRANGULATION": 0.03,
    "THREATS_TO_KILL": 0.04,
    "WEAPON": 0.05,
    "STALKING": 0.12,  # every stalking/harassment offence carries it: equals the stalking share
    "SEPARATION": 0.12,
    "PREGNANCY": 0.03,
    "CHILD_CONTACT_DISPUTE": 0.08,
    "SUICIDE_THREATS": 0.04,
    "ESCALATION": 0.05,
    "COERCIVE_CONTROL": 0.10,
}
INDICATOR_TOLERANCE = 0.02
# Indicators strong enough to push a DASH grade to HIGH in most cases.
STRONG_INDICATORS = ("NON_FATAL_STRANGULATION", "THREATS_TO_KILL", "WEAPON")
HIGH_GIVEN_STRONG = 0.6
DASH_ASSESSED_SHARE = 0.9  # configuration: share of incidents with a DASH grade recorded

# Offence mix: share of non-crime incidents from ONS; relative weights of crime types are configuration
# (ONS does not publish the DA crime mix in domain.md). BREACH_OF_ORDER arises only from real orders.
OFFENCE_WEIGHTS: dict[str, float] = {
    "VERBAL_ABUSE": 9.0,
    "CRIMINAL_DAMAGE": 7.0,
    "MALICIOUS_COMMS": 7.0,
    "HARASSMENT": 6.0,
    "COMMON_ASSAULT": 30.0,
    "COERCIVE_CONTROL": 6.0,
    "STALKING": 4.0,
    "STALKING_FEAR_OF_VIOLENCE": 1.0,
    "THREATS_TO_KILL": 2.0,
    "ABH": 17.0,
    "STRANGULATION": 2.5,
    "GBH": 1.5,
    "RAPE": 2.0,
    "ATTEMPTED_MURDER": 0.05,
    # 108 domestic homicides a year (ONS, y/e March 2024) against 816,493 crimes: 0.013%.
    "MURDER": 108 / NATIONAL_CRIMES_PER_YEAR * 100,
}

# ---- perpetrators, victims, repeats ----------------------------------------------------------------
# Generative parameters tuned so the emitted data hits the targets above after censoring by the window.
P_SINGLE_INCIDENT_PAIR = 0.77
REPEAT_EXTRA_MEAN = 2.2  # pairs with repeats: 2 + geometric extra incidents with this mean
P_SERIAL_CAREER = 0.10  # careers with 2 or more victims
EXTRA_VICTIMS_MEAN = 0.6  # serial careers: 2 + geometric extra victims
P_FAMILY_VICTIM = 0.22  # configuration: adult family abuse among DA pairs
P_MALE_PERPETRATOR = 0.78  # configuration
P_MOVER = 0.02  # configuration: careers that offend in more than one force (own shard)
P_DUPLICATE_INCIDENT = 0.005  # same incident recorded by a second agency
P_DUPLICATE_PERSON_RECORD = 0.03  # a force holds two nominal records for one person
P_WITNESS = 0.08

# ---- outcomes (per crime) ---------------------------------------------------------------------------
P_ARREST = TARGETS["arrests_per_crime"].value
P_CHARGE = TARGETS["charges_per_crime"].value
P_CONVICTION = TARGETS["conviction_rate"].value
# Planted patterns force some charges and convictions; the natural rates are set a little lower so
# the emitted totals still meet the targets.
P_CHARGE_NATURAL = P_CHARGE * 0.94
P_CONVICTION_NATURAL = 0.73
P_CAUTION = TARGETS["cautions_per_crime"].value

# ---- orders: per-event probabilities and lengths in days (configuration within statutory bounds) ----
P_RESTRAINING_ON_CONVICTION = 0.45
P_RESTRAINING_ON_ACQUITTAL = 0.10
P_DVPN_PER_ARREST = 0.03
P_DVPO_GIVEN_DVPN = 0.85
P_NMO_PER_REPEAT_PAIR = 0.02
P_SPO_PER_STALKING_CRIME = 0.02
P_DAPN_PER_ARREST_PILOT = 0.05
P_DAPO_GIVEN_DAPN = 0.9
P_CBO_ON_CONVICTION = 0.01
P_VOO_ON_SCHEDULE15_CUSTODY = 0.03
RESTRAINING_DAYS = (365, 1825)
P_RESTRAINING_UNTIL_FURTHER = 0.2
NMO_DAYS = (180, 365)
SPO_DAYS = (730, 1825)
CBO_DAYS = (730, 1095)
VOO_DAYS = (730, 1825)
DAPO_DAYS = (180, 730)
P_DAPO_OPEN_ENDED = 0.2
DVPO_DAYS = (14, 28)
# Domain.md: DAPO pilot from 27 Nov 2024 (Greater Manchester, three London boroughs, BTP), then
# Cleveland and North Wales. The later pilot start date is not public: configuration.
DAPO_PILOT_START: dict[str, date] = {
    "GMP": date(2024, 11, 27),
    "MPS": date(2024, 11, 27),
    "CLE": date(2025, 4, 1),
    "NWA": date(2025, 4, 1),
}
# Forces running MATAC (started in Northumbria; "spread to several forces"): configuration.
MATAC_FORCES = ("NBR", "DUR", "CLE", "CUM", "GWE", "SWA", "DYP", "NWA")

# ---- duties under orders (how often each change happens, and how often it is notified in time) ----
P_MOVE_UNDER_DUTY = 0.35
P_NAME_CHANGE_UNDER_DUTY = 0.12
P_TRAVEL_UNDER_DUTY = 0.3
P_NEW_RELATIONSHIP_UNDER_DUTY = 0.3
P_NOTIFIED_IN_TIME = 0.6
P_NOTIFIED_LATE = 0.15  # the rest are never notified
P_DAPO_TREATMENT = 0.4  # DAPO positive requirement to attend a programme (court-added)
P_DAPO_RELATIONSHIP = 0.5  # court-added requirement to notify a new relationship
P_DAPO_TRAVEL = 0.3

# ---- other agencies ----------------------------------------------------------------------------------
P_IDVA_GIVEN_HIGH = 0.6
P_MARAC_GIVEN_HIGH = 0.8
P_DVDS_PER_NEW_PARTNER_OF_KNOWN = 0.08
P_PROFESSIONAL_JUDGEMENT = 0.01
P_PNC_RECORDED = 0.9  # a police record of an arrested person carries the PNC id

# ---- planted patterns: per 1,000 careers in a force shard, and a floor per shard --------------------
PLANTED_PER_1000 = {
    "serial_campaign": 4.0,
    "serial_matac_only": 3.0,
    "escalation": 3.0,
    "order_breach": 3.0,
    "duty_holder": 3.0,
    "repeat_single": 3.0,
    "high_risk": 2.0,
}
PLANTED_MIN_PER_SHARD = {
    "serial_campaign": 2,
    "serial_matac_only": 2,
    "escalation": 2,
    "order_breach": 2,
    "duty_holder": 4,
    "repeat_single": 2,
    "high_risk": 1,
}
MOVERS_MIN = 3

# ---- force areas: approximate resident population (millions), used only to share national volume ----
# Rounded mid-2020s ONS mid-year estimates by police force area (approximate; not a calibration target).
FORCE_POPULATION_M: dict[str, float] = {
    "AVS": 1.75, "BDS": 0.70, "CAM": 0.90, "CHE": 1.10, "CTY": 0.01, "CLE": 0.57, "CUM": 0.50,
    "DER": 1.07, "DEC": 1.80, "DOR": 0.78, "DUR": 0.66, "DYP": 0.52, "ESX": 1.87, "GLO": 0.65,
    "GMP": 2.87, "GWE": 0.60, "HAM": 2.00, "HRT": 1.20, "HUM": 0.94, "KNT": 1.88, "LAN": 1.53,
    "LEI": 1.12, "LIN": 0.77, "MER": 1.43, "MPS": 8.90, "NFK": 0.92, "NWA": 0.70, "NYK": 0.84,
    "NTH": 0.79, "NBR": 1.47, "NOT": 1.17, "SWA": 1.34, "SYK": 1.41, "STF": 1.14, "SUF": 0.77,
    "SUR": 1.22, "SSX": 1.73, "TVP": 2.46, "WAR": 0.60, "WMR": 1.31, "WMP": 2.93, "WYK": 2.35,
    "WIL": 0.74,
}  # fmt: skip

# Probation regions (England & Wales) by force area.
PROBATION_REGION: dict[str, str] = {
    "NBR": "PROB-NE", "DUR": "PROB-NE", "CLE": "PROB-NE",
    "CUM": "PROB-NW", "LAN": "PROB-NW", "MER": "PROB-NW", "CHE": "PROB-NW",
    "GMP": "PROB-GM",
    "NYK": "PROB-YH", "WYK": "PROB-YH", "SYK": "PROB-YH", "HUM": "PROB-YH",
    "DER": "PROB-EM", "NOT": "PROB-EM", "LEI": "PROB-EM", "LIN": "PROB-EM", "NTH": "PROB-EM",
    "WMP": "PROB-WM", "STF": "PROB-WM", "WAR": "PROB-WM", "WMR": "PROB-WM",
    "CAM": "PROB-EE", "NFK": "PROB-EE", "SUF": "PROB-EE", "ESX": "PROB-EE", "HRT": "PROB-EE", "BDS": "PROB-EE",
    "MPS": "PROB-LDN", "CTY": "PROB-LDN",
    "KNT": "PROB-KSS", "SUR": "PROB-KSS", "SSX": "PROB-KSS",
    "TVP": "PROB-SC", "HAM": "PROB-SC",
    "AVS": "PROB-SW", "DEC": "PROB-SW", "DOR": "PROB-SW", "GLO": "PROB-SW", "WIL": "PROB-SW",
    "SWA": "PROB-WAL", "GWE": "PROB-WAL", "DYP": "PROB-WAL", "NWA": "PROB-WAL",
}  # fmt: skip

PROBATION_NAMES = {
    "PROB-NE": "North East", "PROB-NW": "North West", "PROB-GM": "Greater Manchester",
    "PROB-YH": "Yorkshire and the Humber", "PROB-EM": "East Midlands", "PROB-WM": "West Midlands",
    "PROB-EE": "East of England", "PROB-LDN": "London", "PROB-KSS": "Kent, Surrey and Sussex",
    "PROB-SC": "South Central", "PROB-SW": "South West", "PROB-WAL": "Wales",
}  # fmt: skip


@dataclass(frozen=True)
class Scale:
    name: str
    forces: tuple[str, ...]  # empty = all 43
    incidents_per_year: int  # across the scale's forces, in the final year
    history_years: int  # years before the final year
    parallel: bool = False


SCALES: dict[str, Scale] = {
    "tiny": Scale("tiny", ("CLE", "NBR"), 120, 2),
    "demo": Scale("demo", ("WMP", "LAN", "NBR", "CLE"), 13_500, 2),
    "national": Scale("national", (), NATIONAL_INCIDENTS_PER_YEAR, 2, parallel=True),
}
