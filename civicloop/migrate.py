"""Schema migrations (Alembic), run from code so an installed package can migrate itself."""
from __future__ import annotations

from alembic import command
from alembic.config import Config

from civicloop.settings import PACKAGE_DIR, get_settings


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(PACKAGE_DIR / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url or get_settings().database_url)
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def revision(message: str, url: str | None = None) -> None:
    """Developers: write a new migration from the difference between models and database."""
    command.revision(alembic_config(url), message=message, autogenerate=True)
