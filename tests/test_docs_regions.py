"""The region table in docs/TELEGRAM.md is REGIONS, so the documented emergency numbers
cannot drift from the ones the bot shows."""

from __future__ import annotations

import re
from pathlib import Path

from bme_bot.config import ConfigError, load_settings
from bme_bot.core.regions import ALIASES, DEFAULT_REGION, REGIONS

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "TELEGRAM.md"
ENV_EXAMPLE = ROOT / "deploy" / "bme-bot.env.example"
HEADING = "## Regions and emergency numbers\n"
ROW = re.compile(r"^\| `([^`]+)` \| ([^|]+?) \| ([^|]+?) \|$")
ALIAS = re.compile(r"`([^`]+)` \(([A-Z]+)\)")


def expected_table() -> str:
    """The table as it must read, made from REGIONS (paste it into the docs if it changed)."""
    lines = ["| code | region | emergency number |", "|---|---|---|"]
    lines += [f"| `{r.code}` | {r.name} | {r.emergency_number} |" for r in REGIONS.values()]
    return "\n".join(lines)


def section() -> str:
    text = DOC.read_text(encoding="utf-8")
    assert text.count(HEADING) == 1, f"{DOC.name} needs one '{HEADING.strip()}' section"
    body = text.split(HEADING, 1)[1]
    return body.split("\n## ", 1)[0]


def documented_rows() -> list[tuple[str, str, str]]:
    rows = []
    for line in section().splitlines():
        match = ROW.match(line)
        if match:
            code, name, number = match.groups()
            rows.append((code, name.strip(), number.strip()))
    return rows


def test_the_docs_table_is_regions_exactly() -> None:
    expected = [(r.code, r.name, r.emergency_number) for r in REGIONS.values()]
    assert documented_rows() == expected, "docs/TELEGRAM.md should show:\n" + expected_table()
    assert expected_table() in section()


def test_the_docs_aliases_are_the_aliases() -> None:
    sentence = section().split("These also work:", 1)
    assert len(sentence) == 2, "the section should list the aliases after 'These also work:'"
    paragraph = sentence[1].split("\n\n", 1)[0].replace("\n", " ")
    assert dict(ALIAS.findall(paragraph)) == ALIASES


def test_the_documented_default_is_the_default() -> None:
    assert f"`DEFAULT_REGION`\n(default `{DEFAULT_REGION}`)" in section()
    assert load_settings({}).default_region == DEFAULT_REGION


def test_every_documented_code_is_accepted_and_others_are_not() -> None:
    for code, _name, _number in documented_rows():
        assert load_settings({"DEFAULT_REGION": code.lower()}).default_region == code
    try:
        load_settings({"DEFAULT_REGION": "XX"})
    except ConfigError as exc:
        assert "DEFAULT_REGION='XX' is not a known region" in str(exc)
        assert "DEFAULT_REGION='XX' is not a known region" in section()
    else:
        raise AssertionError("an unknown region was accepted")


def test_the_env_example_lists_every_code() -> None:
    line = next(
        line for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines() if "EU, UK" in line
    )
    codes = re.findall(r"\b[A-Z]{2,5}\b", line.replace(" or ", ", "))
    assert codes == list(REGIONS)
