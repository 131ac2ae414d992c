"""Settings from the environment: read once, validated, secrets never printed."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bme_bot.core.regions import REGIONS, find_region
from bme_bot.errors import ConfigError as ConfigError
from bme_bot.paths import shipped


class Secret:
    """A string that never shows itself in repr, str or logs."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


@dataclass(frozen=True)
class Settings:
    flows_dir: Path
    content_dir: Path
    flow_id: str = "bme_triage"
    locale: str = "en"
    default_region: str = "EU"
    data_dir: Path = Path("data")
    store_url: str = ""
    session_ttl_days: float = 30.0
    log_level: str = "INFO"

    @property
    def content_locale_dir(self) -> Path:
        return self.content_dir / self.locale

    @property
    def flow_path(self) -> Path:
        return self.flows_dir / f"{self.flow_id}.yaml"

    @property
    def effective_store_url(self) -> str:
        return self.store_url or f"sqlite:///{self.data_dir / 'bme-bot.sqlite3'}"


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the settings; raises ConfigError naming the bad variable."""
    env = os.environ if env is None else env
    region = env.get("DEFAULT_REGION", "EU")
    found = find_region(region)
    if found is None:
        codes = ", ".join(REGIONS)
        raise ConfigError(f"DEFAULT_REGION={region!r} is not a known region (one of: {codes})")
    level = env.get("LOG_LEVEL", "INFO").upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL={level!r} must be one of {', '.join(LOG_LEVELS)}")
    ttl_text = env.get("SESSION_TTL_DAYS", "30")
    try:
        ttl = float(ttl_text)
    except ValueError:
        raise ConfigError(f"SESSION_TTL_DAYS={ttl_text!r} is not a number of days") from None
    if ttl <= 0:
        raise ConfigError("SESSION_TTL_DAYS must be above 0")
    return Settings(
        flows_dir=Path(env.get("BME_FLOWS_DIR") or shipped("flows")),
        content_dir=Path(env.get("BME_CONTENT_DIR") or shipped("content")),
        flow_id=env.get("BME_FLOW", "bme_triage"),
        locale=env.get("BME_LOCALE", "en"),
        default_region=found.code,
        data_dir=Path(env.get("BME_DATA_DIR", "data")),
        store_url=env.get("STORE_URL", ""),
        session_ttl_days=ttl,
        log_level=level,
    )
