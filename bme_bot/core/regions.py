"""Emergency numbers by region: every disposition message shows the user's."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    emergency_number: str


REGIONS: dict[str, Region] = {
    r.code: r
    for r in (
        Region("EU", "European Union", "112"),
        Region("UK", "United Kingdom", "999"),
        Region("US", "United States", "911"),
        Region("CA", "Canada", "911"),
        Region("AU", "Australia", "000"),
        Region("NZ", "New Zealand", "111"),
        Region("IN", "India", "112"),
        Region("IE", "Ireland", "112"),
        Region("ZA", "South Africa", "112"),
        Region("OTHER", "Somewhere else", "112"),
    )
}

DEFAULT_REGION = "EU"

ALIASES = {"GB": "UK", "USA": "US", "UNITED STATES": "US", "UNITED KINGDOM": "UK"}


def find_region(code: str) -> Region | None:
    """Look a region up by code or alias, ignoring case and surrounding space."""
    key = code.strip().upper()
    key = ALIASES.get(key, key)
    return REGIONS.get(key)
