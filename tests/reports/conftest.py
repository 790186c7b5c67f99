"""The five real reports and their hand-made gold annotations."""
from __future__ import annotations

from pathlib import Path

import pytest

from civicloop.reports.reader import read
from civicloop.reports.service import load_gold

HERE = Path(__file__).parent
DATA = HERE / "data"
GOLD = HERE / "gold"
STEMS = sorted(p.stem for p in GOLD.glob("*.json"))


def report_text(stem: str) -> str:
    return (DATA / f"{stem}.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def readings():
    return {stem: read(report_text(stem)) for stem in STEMS}


@pytest.fixture(scope="session")
def golds():
    return {stem: load_gold(GOLD / f"{stem}.json") for stem in STEMS}
