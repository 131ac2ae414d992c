"""An independent, plain-Python copy of the clinical decision table (version 2) for the vignettes.

Written from the clinical contract (docs/CLINICAL.md, sections 2, 3 and 7) without reading the
flow or the engine, so that the hand-written labels in vignettes.yaml are cross-checked by a
second, mechanical reading of the same contract. If a vignette's label and this table disagree,
one of them misreads the contract: re-read it and fix whichever is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

Facts = Mapping[str, str]
Predicate = Callable[[Facts], bool]

YN = ("yes", "no")
YNU = ("yes", "no", "unsure")

# Section 2: every fact and its values, in the contract's order.
FACT_VALUES: dict[str, tuple[str, ...]] = {
    "consent": ("agree", "decline"),
    "age_group": ("child", "adult", "older_adult"),
    "site": ("hip", "knee", "ankle", "foot", "other"),
    "fever": YNU,
    "weight_bearing": ("normal", "limp", "unable"),
    "hot_swollen": YNU,
    "cold_pale_numb": YNU,
    "calf_swelling": YNU,
    "onset": ("sudden_injury", "sudden_no_injury", "gradual"),
    "deformity_or_crack": ("deformity", "crack", "none"),
    "ottawa_tenderness": YNU,
    "knee_flex_90": YNU,
    "diabetes": YNU,
    "wound": YNU,
    "immunosuppressed": YNU,
    "sickle_cell": YNU,
    "weight_loss_or_cancer": YNU,
    "blood_thinners": YNU,
    "bisphosphonates": YNU,
    "pregnant_or_postpartum": YN,
    "steroids_or_alcohol": YNU,
    "night_pain": YNU,
    "training_increase": YNU,
    "known_bme_mri": YNU,
    "restart_pain": YN,
    "trend": ("improving", "stable", "worsening", "resolved"),
    "duration": ("under_1_week", "1_to_6_weeks", "over_6_weeks"),
}

DISPOSITIONS = ("emergency", "urgent", "soon", "routine", "self_care")
SITES = {"hip", "knee", "ankle", "foot", "other"}
AGE_GROUPS = {"child", "adult", "older_adult"}

# The value a fact holds where the contract does not ask it: the answer that moves no row.
NEUTRAL: dict[str, str] = {
    fact: ("yes" if fact == "knee_flex_90" else "none" if fact == "deformity_or_crack" else "no")
    for fact, values in FACT_VALUES.items()
    if "no" in values or fact == "deformity_or_crack"
}


def yes(f: Facts, fact: str) -> bool:
    """Section 7: `unsure` counts as the cautious value, which is `yes` for these facts."""
    return f[fact] in ("yes", "unsure")


def knee_cannot_bend(f: Facts) -> bool:
    """Section 7: for knee_flex_90 the cautious value is `no` (cannot bend to 90 degrees)."""
    return f["knee_flex_90"] in ("no", "unsure")


def injury(f: Facts) -> bool:
    return f["onset"] == "sudden_injury"


def child(f: Facts) -> bool:
    return f["age_group"] == "child"


def walking(f: Facts) -> bool:
    """Can take four steps, limping allowed."""
    return f["weight_bearing"] in ("normal", "limp")


def u1_fracture(f: Facts) -> bool:
    site, old = f["site"], f["age_group"] == "older_adult"
    return injury(f) and (
        yes(f, "ottawa_tenderness")
        or (site == "knee" and knee_cannot_bend(f))
        or (site in ("knee", "hip") and old)
        or f["deformity_or_crack"] == "crack"
        or yes(f, "weight_loss_or_cancer")
        or yes(f, "blood_thinners")
        or (child(f) and site in ("hip", "knee") and f["weight_bearing"] == "limp")
    )


def u5_child(f: Facts) -> bool:
    # "A limp that is not improving": read conservatively as any trend other than improving.
    limp = f["weight_bearing"] == "limp"
    return (
        child(f)
        and not injury(f)
        and (
            yes(f, "night_pain")
            or (limp and f["trend"] != "improving")
            or (limp and f["site"] in ("hip", "knee"))
        )
    )


def u8_femoral_neck(f: Facts) -> bool:
    settling = f["duration"] == "under_1_week" and f["trend"] in ("improving", "resolved")
    return (
        f["site"] == "hip"
        and not injury(f)
        and yes(f, "training_increase")
        and walking(f)
        and not settling
    )


def c1_minor_injury(f: Facts) -> bool:
    knee_ok = f["site"] != "knee" or (f["age_group"] != "older_adult" and not knee_cannot_bend(f))
    return (
        injury(f)
        and f["site"] in ("ankle", "foot", "knee")
        and not yes(f, "ottawa_tenderness")
        and f["weight_bearing"] == "normal"
        and f["trend"] == "improving"
        and knee_ok
    )


# Section 3, top to bottom; the first row that matches wins. S0 is the "no row covers it" fallback.
TABLE: list[tuple[str, str, Predicate]] = [
    (
        "E1",
        "emergency",
        lambda f: (
            yes(f, "fever")
            and (
                yes(f, "hot_swollen")
                or f["weight_bearing"] == "unable"
                or (child(f) and f["weight_bearing"] == "limp")
                or (f["weight_bearing"] == "limp" and not injury(f))
            )
        ),
    ),
    (
        "E2",
        "emergency",
        lambda f: f["weight_bearing"] == "unable" or f["deformity_or_crack"] == "deformity",
    ),
    (
        "E3",
        "emergency",
        lambda f: (
            (yes(f, "fever") and (yes(f, "immunosuppressed") or yes(f, "sickle_cell")))
            or (yes(f, "hot_swollen") and yes(f, "immunosuppressed"))
        ),
    ),
    (
        "E4",
        "emergency",
        lambda f: (
            f["site"] == "foot" and yes(f, "diabetes") and yes(f, "wound") and yes(f, "hot_swollen")
        ),
    ),
    ("E5", "emergency", lambda f: yes(f, "cold_pale_numb")),
    ("U1", "urgent", u1_fracture),
    (
        "U4",
        "urgent",
        lambda f: (
            yes(f, "diabetes")
            and (
                (f["site"] in ("foot", "ankle") and yes(f, "hot_swollen"))
                or (f["site"] == "foot" and yes(f, "wound"))
            )
        ),
    ),
    ("U2", "urgent", lambda f: yes(f, "hot_swollen")),
    ("U3", "urgent", lambda f: yes(f, "fever") and walking(f)),
    ("U5", "urgent", u5_child),
    ("U6", "urgent", lambda f: yes(f, "weight_loss_or_cancer")),
    ("U7", "urgent", lambda f: yes(f, "immunosuppressed") and not injury(f)),
    ("U8", "urgent", u8_femoral_neck),
    ("U9", "urgent", lambda f: yes(f, "sickle_cell")),
    ("U10", "urgent", lambda f: yes(f, "calf_swelling")),
    (
        "U11",
        "urgent",
        lambda f: f["site"] == "hip" and not injury(f) and yes(f, "bisphosphonates"),
    ),
    (
        "U12",
        "urgent",
        lambda f: (
            f["pregnant_or_postpartum"] == "yes"
            and f["site"] == "hip"
            and f["weight_bearing"] == "limp"
        ),
    ),
    (
        "S1",
        "soon",
        lambda f: (
            yes(f, "known_bme_mri")
            and (f["trend"] == "worsening" or yes(f, "night_pain") or f["restart_pain"] == "yes")
        ),
    ),
    ("S2", "soon", lambda f: yes(f, "night_pain")),
    (
        "S3",
        "soon",
        lambda f: (
            yes(f, "steroids_or_alcohol")
            and f["site"] in ("hip", "knee")
            and walking(f)
            and not yes(f, "fever")
        ),
    ),
    (
        "S4",
        "soon",
        lambda f: (
            not injury(f)
            and yes(f, "training_increase")
            and f["duration"] != "under_1_week"
            and walking(f)
            and f["site"] != "hip"
        ),
    ),
    (
        "S5",
        "soon",
        lambda f: (
            injury(f)
            and not yes(f, "ottawa_tenderness")
            and f["trend"] in ("stable", "worsening")
            and f["duration"] != "under_1_week"
        ),
    ),
    (
        "S6",
        "soon",
        lambda f: f["pregnant_or_postpartum"] == "yes" and f["site"] == "hip",
    ),
    (
        "R1",
        "routine",
        lambda f: f["duration"] == "over_6_weeks" and f["trend"] == "stable",
    ),
    ("R2", "routine", lambda f: yes(f, "known_bme_mri") and f["trend"] == "improving"),
    (
        "R3",
        "routine",
        lambda f: (
            child(f)
            and not injury(f)
            and f["duration"] != "under_1_week"
            and f["weight_bearing"] == "normal"
            and not yes(f, "night_pain")
            and not yes(f, "fever")
            and not yes(f, "hot_swollen")
        ),
    ),
    ("C1", "self_care", c1_minor_injury),
    (
        "C2",
        "self_care",
        lambda f: (
            f["duration"] == "under_1_week"
            and not injury(f)
            and f["weight_bearing"] == "normal"
            and f["trend"] in ("improving", "resolved")
        ),
    ),
    ("C3", "self_care", lambda f: yes(f, "known_bme_mri") and f["trend"] == "resolved"),
]
RULE_IDS = [rule for rule, _, _ in TABLE]


def triage(f: Facts) -> tuple[str, str]:
    """The first matching row's (rule, disposition); `soon` (S0) when no row covers the path."""
    for rule, disposition, matches in TABLE:
        if matches(f):
            return rule, disposition
    return "S0", "soon"


def asked(fact: str, f: Facts) -> bool:
    """Section 2's "asked when" column, with unsure counted as the cautious value."""
    site, inj = f["site"], injury(f)
    adult = not child(f)
    conditions: dict[str, bool] = {
        "deformity_or_crack": inj,
        "ottawa_tenderness": inj and site in ("ankle", "foot", "knee"),
        "knee_flex_90": inj and site == "knee",
        "diabetes": site in ("foot", "ankle"),
        "wound": site == "foot" and yes(f, "diabetes"),
        "blood_thinners": inj,
        "bisphosphonates": site == "hip" and not inj,
        "pregnant_or_postpartum": adult and site == "hip" and not inj,
        "steroids_or_alcohol": adult and site in ("hip", "knee"),
        "training_increase": not inj,
        "restart_pain": yes(f, "known_bme_mri"),
    }
    return conditions.get(fact, True)


VIGNETTES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "vignettes.yaml").read_text(encoding="utf-8")
)
IDS = [v["id"] for v in VIGNETTES]
# The facts the red-flag screen has by then: an emergency that follows from these alone must stop
# the conversation before the background questions.
EARLY_FACTS = (
    "consent",
    "age_group",
    "site",
    "fever",
    "weight_bearing",
    "hot_swollen",
    "cold_pale_numb",
    "calf_swelling",
)


def disposition_of(rule: str) -> str:
    if rule == "S0":
        return "soon"
    return next(disposition for rid, disposition, _ in TABLE if rid == rule)


@pytest.mark.parametrize("vignette", VIGNETTES, ids=IDS)
def test_label_is_the_tables_first_match(vignette: dict[str, Any]) -> None:
    rule, disposition = triage(vignette["facts"])
    assert (vignette["rule"], vignette["expected"]) == (rule, disposition)


@pytest.mark.parametrize("vignette", VIGNETTES, ids=IDS)
def test_every_fact_of_section_2_with_a_contract_value(vignette: dict[str, Any]) -> None:
    facts = vignette["facts"]
    assert list(facts) == list(FACT_VALUES), "facts missing, extra or out of order"
    for fact, value in facts.items():
        assert value in FACT_VALUES[fact], f"{fact}: {value!r}"
    assert facts["consent"] == "agree"
    assert vignette["expected"] in DISPOSITIONS
    assert vignette["expected"] == disposition_of(vignette["rule"])
    assert vignette["story"].strip()


@pytest.mark.parametrize("vignette", VIGNETTES, ids=IDS)
def test_facts_not_asked_on_the_path_hold_the_neutral_value(vignette: dict[str, Any]) -> None:
    facts = vignette["facts"]
    wrong = {
        fact: value
        for fact, value in facts.items()
        if fact in NEUTRAL and not asked(fact, facts) and value != NEUTRAL[fact]
    }
    assert not wrong, f"facts the contract would not ask here must be neutral: {wrong}"


def follows_from_red_flag_screen(facts: Facts) -> bool:
    """Every emergency row reads its facts positively, so if the emergency holds with every later
    fact neutral, for every onset, no later answer can be needed: the flow may stop there."""
    for onset in FACT_VALUES["onset"]:
        early = {fact: NEUTRAL.get(fact, value) for fact, value in facts.items()}
        early.update({fact: facts[fact] for fact in EARLY_FACTS})
        early.update(onset=onset, trend="stable", duration="under_1_week")
        if triage(early)[1] != "emergency":
            return False
    return True


@pytest.mark.parametrize(
    "vignette", [v for v in VIGNETTES if v["expected"] == "emergency"], ids=lambda v: v["id"]
)
def test_stops_early_marks_exactly_the_red_flag_screen_emergencies(
    vignette: dict[str, Any],
) -> None:
    assert bool(vignette.get("stops_early")) == follows_from_red_flag_screen(vignette["facts"])


def test_only_emergencies_stop_early() -> None:
    assert all(v["expected"] == "emergency" for v in VIGNETTES if v.get("stops_early"))


def test_ids_are_unique_and_numbered() -> None:
    assert len(IDS) == len(set(IDS))
    assert [f"V{n:02d}" for n in range(1, len(IDS) + 1)] == IDS


def test_coverage_of_rules_sites_ages_and_dispositions() -> None:
    assert {v["rule"] for v in VIGNETTES} >= set(RULE_IDS)
    assert {v["facts"]["site"] for v in VIGNETTES} == SITES
    assert {v["facts"]["age_group"] for v in VIGNETTES} == AGE_GROUPS
    assert {v["expected"] for v in VIGNETTES} == set(DISPOSITIONS)
    assert sum(bool(v.get("stops_early")) for v in VIGNETTES) >= 6
    assert sum(v["expected"] == "emergency" for v in VIGNETTES) >= 6


def test_every_fact_that_offers_unsure_has_an_unsure_vignette() -> None:
    offered = {fact for fact, values in FACT_VALUES.items() if "unsure" in values}
    used = {fact for v in VIGNETTES for fact, value in v["facts"].items() if value == "unsure"}
    assert used == offered


def test_unsure_is_counted_as_the_cautious_value() -> None:
    """Safety property 11 on the vignettes: swapping an unsure answer for its cautious value (or
    the reverse) leaves the first match unchanged."""
    cautious = {fact: ("no" if fact == "knee_flex_90" else "yes") for fact in FACT_VALUES}
    checked = 0
    for vignette in VIGNETTES:
        facts = dict(vignette["facts"])
        for fact, value in vignette["facts"].items():
            if "unsure" not in FACT_VALUES[fact] or value not in ("unsure", cautious[fact]):
                continue
            swapped = dict(facts, **{fact: cautious[fact] if value == "unsure" else "unsure"})
            assert triage(swapped) == triage(facts), (vignette["id"], fact)
            checked += 1
    assert checked > 0
