"""Settings from the environment: read once, validated, secrets never printed."""

from __future__ import annotations

import math
import os
import tempfile
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
MAX_SESSION_TTL_DAYS = 3650.0
"""Ten years: far above any sensible keep time, and small enough that every store can turn it
into milliseconds (Redis refuses an expiry past 2^63 ms; `inf` used to crash it)."""


def finite_number(
    env: Mapping[str, str], name: str, default: float, low: float, high: float
) -> float:
    """A finite number in `low < x <= high` (low excluded: 0 days keeps nothing). `nan`,
    `inf` and `1e999` are refused: nan compares false to everything, so it passed `x <= 0`
    and made every session look expired while the purge never deleted anything."""
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        number = float(text)
    except ValueError:
        raise ConfigError(f"{name}={text!r} is not a number") from None
    if not math.isfinite(number):
        raise ConfigError(f"{name}={text!r} must be a finite number")
    if not low < number <= high:
        raise ConfigError(f"{name}={text!r} must be above {low:g} and at most {high:g}")
    return number


def check_writable_dir(path: Path, name: str = "BME_DATA_DIR") -> None:
    """Create `path` if missing and prove it takes a file (a real write: `os.access` is wrong
    for root and for read-only mounts). ConfigError naming the variable and the reason."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".bme-write-check-"):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(f"{name}={str(path)!r} is not a writable directory ({reason})") from None


def default_locale(env: Mapping[str, str], flows_dir: Path, content_dir: Path) -> str:
    """DEFAULT_LOCALE (or the older BME_LOCALE): the language of a conversation when the
    person's is not shipped. It must be a shipped locale (flow texts, content, catalogue)."""
    name = "DEFAULT_LOCALE" if env.get("DEFAULT_LOCALE") else "BME_LOCALE"
    value = (env.get(name) or "en").strip()
    if value == "en":
        return value
    from bme_bot.loading.catalogues import catalogue_locales
    from bme_bot.loading.flow_locales import available_locales

    with_catalogue = {"en", *catalogue_locales()}
    locales = [c for c in available_locales(flows_dir, content_dir) if c in with_catalogue]
    if value not in locales:
        raise ConfigError(
            f"{name}={value!r} is not a shipped locale (one of: {', '.join(locales)})"
        )
    return value


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
    ttl = finite_number(env, "SESSION_TTL_DAYS", 30.0, 0.0, MAX_SESSION_TTL_DAYS)
    flows_dir = Path(env.get("BME_FLOWS_DIR") or shipped("flows"))
    content_dir = Path(env.get("BME_CONTENT_DIR") or shipped("content"))
    return Settings(
        flows_dir=flows_dir,
        content_dir=content_dir,
        flow_id=env.get("BME_FLOW", "bme_triage"),
        locale=default_locale(env, flows_dir, content_dir),
        default_region=found.code,
        data_dir=Path(env.get("BME_DATA_DIR", "data")),
        store_url=env.get("STORE_URL", ""),
        session_ttl_days=ttl,
        log_level=level,
    )
