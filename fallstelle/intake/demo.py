"""Synthetic cases for demos and benchmarks: a deterministic plan of whole cases per seed.

Imports the standard library and the case room's sections, ``bulk`` and ``demo_data``. The
same ``(seed, count, until)`` always gives the same cases (names, codes, dates, contacts),
whatever the machine; only ids and keys are random. Distributions follow ``demo_data``:
about 13 contacts per case on average (fewer for short enquiries and young cases), some
interventions, roughly two thirds closed, deadlines for AGG cases in work and civil law.
Cases open over the three years before ``until``, a few more each year.

Not the ``random`` module: the package never imports it (ENC-14, test_architecture); a
SplitMix64 sequence is plenty for made-up data and never used for anything secret.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import TypeVar

from fallstelle.cases.sections import (
    CaseDetails,
    Closure,
    Consent,
    Contact,
    Identity,
    Incident,
    Intervention,
    Person,
)
from fallstelle.intake import demo_data as data
from fallstelle.intake.bulk import DeadlineSpec, StatusStep, WholeCase

T = TypeVar("T")
MASK = 2**64 - 1
SPAN_DAYS = 3 * 365


class Draw:
    """A seeded SplitMix64 sequence with the few draws the generator needs."""

    def __init__(self, seed: int) -> None:
        self.state = seed & MASK

    def _next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def random(self) -> float:
        """A float in [0, 1)."""
        return (self._next() >> 11) / 2**53

    def below(self, n: int) -> int:
        return int(self.random() * n)

    def between(self, low: int, high: int) -> int:
        """An int in [low, high]."""
        return low + self.below(high - low + 1)

    def chance(self, p: float) -> bool:
        return self.random() < p

    def pick(self, items: Sequence[T]) -> T:
        return items[self.below(len(items))]

    def weighted(self, weights: Mapping[str, int]) -> str:
        point = self.random() * sum(weights.values())
        for key, weight in weights.items():
            point -= weight
            if point < 0:
                return key
        return list(weights)[-1]

    def expo(self, mean: float) -> float:
        return -mean * math.log(1.0 - self.random())


def _day(opened: dt.date, offset: float, until: dt.date) -> dt.date:
    return min(opened + dt.timedelta(days=int(offset)), until)


def _opened_on(draw: Draw, until: dt.date) -> dt.date:
    # Density rising by about 15 % a year (ada.nrw 2023 → 2024): sample t ∈ [0, 1) ∝ 1.15^(3t).
    growth = 1.15**3
    t = math.log(1 + draw.random() * (growth - 1)) / math.log(growth)
    return until - dt.timedelta(days=int((1 - t) * SPAN_DAYS))


def _incident(draw: Draw, opened: dt.date, domain: str) -> Incident:
    first = draw.weighted(data.GROUNDS)
    grounds = [first]
    second = data.SECOND_GROUNDS.get(first)
    if second and draw.chance(0.45):
        grounds.append(second)
    elif draw.chance(0.12):
        extra = draw.weighted(data.GROUNDS)
        if extra != first:
            grounds.append(extra)
    happened = opened - dt.timedelta(days=draw.between(1, 60))
    top = domain.split(".")[0]
    forms = [draw.weighted(data.FORMS)]
    return Incident(
        date_from=happened,
        date_precision="tag",
        knowledge_date=happened,
        rejection_received_on=happened if domain == "arbeit.zugang" else None,
        kreis=draw.weighted(data.KREIS_WEIGHTS),
        online=top == "medien",
        life_domains=[domain],
        grounds=grounds,
        forms=forms,
        levels=["institutionell"] if top in ("aemter_behoerden", "bildung") else ["individuell"],
        intersectional=len(grounds) > 1,
        actor_type=draw.pick(data.ACTORS[top]),
        actor_institution=data.INSTITUTIONS[top],
        witnesses=draw.pick(("ja", "nein", "unbekannt")),
        evidence=[draw.pick(("schriftlich", "zeug_innen", "keine", "foto_video"))],
    )


def _person(draw: Draw, kreis: str | None) -> tuple[Person, Identity]:
    first, surname = draw.pick(data.FIRST_NAMES), draw.pick(data.SURNAMES)
    person = Person(
        role="betroffen_ratsuchend" if draw.chance(0.88) else "ratsuchend_nicht_betroffen",
        person_type="einzelperson" if draw.chance(0.93) else "gruppe_familie",
        age_band=draw.weighted(data.AGE_BANDS),
        gender=draw.weighted(data.GENDERS),
        kreis=kreis,
    )
    local = f"{first}.{surname}".casefold().encode("ascii", "ignore").decode()
    identity = Identity(
        first_name=first,
        surname=surname,
        phone=f"0{draw.between(150, 179)} {draw.between(1000000, 9999999)}",
        email=f"{local}@example.org" if draw.chance(0.7) else "",
    )
    return person, identity


def _contacts(draw: Draw, opened: dt.date, end: dt.date, n: int) -> list[Contact]:
    span = max((end - opened).days, 0)
    days = sorted(draw.between(0, span) for _ in range(n - 1))
    return [
        Contact(
            on=opened + dt.timedelta(days=d),
            minutes=draw.pick((15, 20, 30, 30, 45, 45, 60, 60, 90)),
            prep_minutes=draw.pick((0, 0, 10, 15, 30)),
            channel=draw.weighted(data.CHANNELS) if i else draw.pick(("telefon", "email")),
            counterpart=draw.weighted(data.COUNTERPARTS) if i else "ratsuchende",
        )
        for i, d in enumerate([0, *days])
    ]


def make_case(draw: Draw, office_id: int, lead: str, until: dt.date) -> WholeCase:
    """Return one synthetic case opened in the three years before ``until``."""
    opened = _opened_on(draw, until)
    request = draw.weighted(data.REQUEST_TYPES)
    domain = draw.weighted(data.DOMAINS)
    top = domain.split(".")[0]
    incident = _incident(draw, opened, domain)
    person, identity = _person(draw, incident.kreis)
    agg = (
        "agg_relevant"
        if top in data.AGG_DOMAINS and set(incident.grounds) & set(data.AGG_GROUNDS)
        else draw.pick(("nicht_agg_relevant", "nicht_agg_relevant", "keine_angabe"))
    )
    if request == "beratungsfall":
        duration = 14 + draw.expo(150)
        n_contacts = max(2, round(2 + duration / 9 * (0.6 + 0.8 * draw.random())))
    elif request == "institutionenberatung":
        duration, n_contacts = 10 + draw.expo(40), draw.between(3, 8)
    else:
        duration, n_contacts = draw.expo(7), draw.between(1, 2)
    end = _day(opened, duration, until)
    reached = (end - opened).days / max(duration, 1)  # a young case has had fewer contacts
    contacts = _contacts(draw, opened, end, max(1, min(80, round(n_contacts * reached))))
    details = CaseDetails(
        request_type=request,
        access_route=draw.weighted(data.ACCESS_ROUTES),
        initiated_by="betroffene_person" if draw.chance(0.85) else "angehoerige",
        client_goals=sorted({draw.weighted(data.GOALS), draw.weighted(data.GOALS)}),
        agg_relevance=agg,
        language="de" if draw.chance(0.8) else draw.pick(("tr", "ar", "en", "uk", "fa")),
        narrative=data.NARRATIVES[top],
        consents=[
            Consent(kind="datenschutzinformation", given_on=opened, text_version="2024-1"),
            Consent(kind="statistik", given_on=opened, text_version="2024-1"),
        ],
    )
    interventions: list[Intervention] = []
    if request == "beratungsfall" and draw.chance(0.5):
        for _ in range(draw.between(1, 3)):
            started = _day(opened, draw.random() * (end - opened).days, until)
            interventions.append(
                Intervention(
                    code=draw.weighted(data.INTERVENTIONS),
                    started_on=started,
                    completed_on=end if end > started and draw.chance(0.6) else None,
                    result=draw.weighted(data.RESULTS),
                )
            )
    deadlines: list[DeadlineSpec] = []
    if agg == "agg_relevant" and request == "beratungsfall":
        rule = "agg_15_4" if top == "arbeit" else "agg_21_5"
        deadlines.append(DeadlineSpec(rule, incident.date_from))
        if draw.chance(0.3):
            interventions.append(
                Intervention(
                    code="rechtlich_aussergerichtlich.geltendmachung_agg",
                    started_on=_day(opened, 7, until),
                    result=draw.weighted(data.RESULTS),
                )
            )
        if draw.chance(0.05):
            court = "klage_arbeitsgericht" if top == "arbeit" else "klage_zivilgericht"
            started = _day(opened, 60, until)
            interventions.append(Intervention(code=f"gerichtlich.{court}", started_on=started))
    start = "anfrage" if request != "beratungsfall" and draw.chance(0.5) else "in_beratung"
    steps: list[StatusStep] = []
    if opened + dt.timedelta(days=int(duration)) <= until and draw.chance(0.8):
        outcomes = sorted({draw.weighted(data.OUTCOMES) for _ in range(draw.between(1, 2))})
        closure = Closure(
            reason=draw.weighted(data.CLOSURE_REASONS),
            outcomes=outcomes,
            counterpart_response=draw.weighted(data.RESPONSES),
        )
        steps.append(StatusStep("abgeschlossen", end, closure))
    elif interventions:
        steps.append(
            StatusStep("intervention_laufend", min(i.started_on or end for i in interventions))
        )
    elif start == "in_beratung" and (until - end).days > 60:
        steps.append(StatusStep("ruhend", end))
    return WholeCase(
        office_id=office_id,
        opened_on=opened,
        details=details,
        start_status=start,
        lead_counsellor_id=lead,
        persons=[(person, identity)],
        incidents=[incident],
        contacts=contacts,
        interventions=interventions,
        deadlines=deadlines,
        steps=steps,
    )


def plan(
    seed: int, count: int, office_id: int, counsellors: Sequence[str], until: dt.date
) -> Iterator[WholeCase]:
    """Yield ``count`` synthetic cases, the same ones for the same arguments."""
    draw = Draw(seed)
    for _ in range(count):
        yield make_case(draw, office_id, draw.pick(counsellors), until)
