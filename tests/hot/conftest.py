"""Real messages for the hot-issue tests, from the file the product carries, and the live
server of tests/api (on both databases) for the HTTP tests."""
from __future__ import annotations

import dataclasses
import datetime as dt
from functools import lru_cache

from civicloop.hot.grouping import Report
from civicloop.hot.service import read_messages
from civicloop.settings import PACKAGE_DIR
from tests.api.conftest import live  # noqa: F401  (the fixture, for test_hot_api)

HOT_MESSAGES = PACKAGE_DIR / "data" / "hot-messages.csv"
# Real messages, by id: six about the concrete-mixing plant (搅拌站) built beside 丽发新城; two
# about other matters of the same estate (its rubbish station, an unfinished road); two
# about other places of the same district; five about 伊景园滨河苑 tying parking spaces to flats.
MIXING_PLANT = ("264944", "189950", "203393", "188809", "258378", "243692")
SAME_ESTATE_OTHER_MATTERS = ("219174", "254710")
SAME_DISTRICT_ELSEWHERE = ("221764", "209783")
PARKING_BUNDLE = ("283879", "223247", "218709", "196264", "230554")


@lru_cache
def real_messages() -> dict[str, Report]:
    return {r.ref: r for r in read_messages(HOT_MESSAGES)}


def message(source: str, *, at: dt.datetime | None = None, **changes) -> Report:
    """A real message, moved in time or rewritten where the test says so."""
    report = real_messages()[source]
    return dataclasses.replace(report, at=at or report.at, **changes)
