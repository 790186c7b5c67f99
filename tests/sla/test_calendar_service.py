"""The override table on SQLite and PostgreSQL: set, unset, list, import, and the calendar
built from it."""
from __future__ import annotations

import datetime as dt

import pytest

from civicloop.db import transaction
from civicloop.errors import InvalidInput, NotFound
from civicloop.sla import service

D, T = dt.date, dt.datetime

# The first days of 2027 as an admin would enter them once the State Council publishes them.
CSV_2027 = """\ufeffdate,is_workday,name
2027-01-01,holiday,元旦
2027-02-05,休,春节
2027-02-06,false,春节
2027-02-14,workday,春节调休上班
"""


def test_set_list_unset(engine):
    with transaction(engine) as s:
        assert service.year_status(s, 2027) == "unknown"
        service.set_day(s, D(2027, 1, 1), False, "元旦")
        service.set_day(s, D(2026, 10, 10), False, "  ")
    with transaction(engine) as s:
        assert service.year_status(s, 2027) == "overrides"
        assert [(r.day, r.is_workday, r.name) for r in service.list_days(s)] == [
            (D(2026, 10, 10), False, None), (D(2027, 1, 1), False, "元旦")]
        assert [r.day for r in service.list_days(s, 2027)] == [D(2027, 1, 1)]
        # Setting a day again replaces the earlier override.
        service.set_day(s, D(2026, 10, 10), True, "国庆节调休上班")
    with transaction(engine) as s:
        assert [(r.is_workday, r.name) for r in service.list_days(s, 2026)] == [(True, "国庆节调休上班")]
        service.unset_day(s, D(2027, 1, 1))
    with transaction(engine) as s:
        assert service.list_days(s, 2027) == []
        assert service.year_status(s, 2027) == "unknown"
        with pytest.raises(NotFound) as err:
            service.unset_day(s, D(2027, 1, 1))
        assert err.value.field == "date"
        with pytest.raises(InvalidInput) as err:
            service.set_day(s, D(2027, 1, 1), False, "节" * 61)
        assert err.value.field == "name"


def test_calendar_follows_the_table(engine):
    with transaction(engine) as s:
        service.set_day(s, D(2025, 3, 10), False, "停电")  # a Monday off
        cal = service.load_calendar(s)
        assert not cal.is_workday(D(2025, 3, 10))
        assert cal.add(T(2025, 3, 7, 17), 1, "working") == T(2025, 3, 11, 9, 30)
        assert service.load_calendar(s) is cal  # unchanged table: the same warm calendar
    # Another transaction (another process, as far as the table knows) flips the day:
    # same row count, same last day, and still the calendar must change.
    with transaction(engine) as s:
        service.set_day(s, D(2025, 3, 10), True, None)
    with transaction(engine) as s:
        fresh = service.load_calendar(s)
        assert fresh is not cal and fresh.is_workday(D(2025, 3, 10))
        assert fresh.add(T(2025, 3, 7, 17), 1, "working") == T(2025, 3, 10, 9, 30)


def test_import_makes_2027_known(engine):
    with transaction(engine) as s:
        assert service.import_days(s, CSV_2027) == 4
    with transaction(engine) as s:
        rows = service.list_days(s, 2027)
        assert [(r.day, r.is_workday, r.name) for r in rows] == [
            (D(2027, 1, 1), False, "元旦"), (D(2027, 2, 5), False, "春节"),
            (D(2027, 2, 6), False, "春节"), (D(2027, 2, 14), True, "春节调休上班")]
        cal = service.load_calendar(s)
        assert cal.year_status(2027) == "overrides"
        # Thu 31 Dec 2026 16:00 + 8 h: 1.5 h, 元旦 and the weekend, Mon 4 Jan 6.5 h.
        assert cal.add(T(2026, 12, 31, 16), 8, "working") == T(2027, 1, 4, 17)
        # Thu 4 Feb 17:00 + 1 h: Fri 5 and Sat 6 marked off, Sun 7 a plain Sunday.
        assert cal.add(T(2027, 2, 4, 17), 1, "working") == T(2027, 2, 8, 9, 30)
        # Sat 13 Feb 17:00 + 1 h: Sunday 14 is the marked make-up workday.
        assert cal.add(T(2027, 2, 13, 17), 1, "working") == T(2027, 2, 14, 10)
        # Importing again replaces, it does not duplicate.
        assert service.import_days(s, CSV_2027.replace("元旦", "元旦节")) == 4
    with transaction(engine) as s:
        assert service.list_days(s, 2027)[0].name == "元旦节"


@pytest.mark.parametrize(("text", "where"), [
    ("date,is_workday,name\n2027-01-01,holiday,元旦\n2027-02-30,holiday,春节\n", "line 3, date"),
    ("date,is_workday,name\n2027-01-01,holiday,元旦\n2027-02-05,maybe,春节\n", "line 3, is_workday"),
    ("date,is_workday,name\n2027-01-01,holiday,元旦\n2027-01-01,workday,元旦\n", "line 3, date"),
    ("date,is_workday,name\n2027-01-01,holiday," + "节" * 61 + "\n", "line 2, name"),
    ("date,is_workday,name\n2027-01-01,holiday,元旦,extra\n", "line 2:"),
    ("day,workday\n2027-01-01,holiday\n", "line 1:"),
    ("date,is_workday,name\n", "no rows"),
])
def test_bad_csv_writes_nothing(engine, text, where):
    with transaction(engine) as s:
        service.set_day(s, D(2026, 10, 10), True, "国庆节调休上班")
    with pytest.raises(InvalidInput) as err:
        with transaction(engine) as s:
            service.import_days(s, text)
    assert err.value.field == "csv" and where in err.value.detail
    with transaction(engine) as s:
        assert [(r.day, r.is_workday) for r in service.list_days(s)] == [(D(2026, 10, 10), True)]


def test_every_bad_row_is_named(engine):
    text = "date,is_workday,name\n2027-13-01,holiday,\n2027-01-01,holiday,元旦\n2027-02-05,x,春节\n"
    with transaction(engine) as s:
        with pytest.raises(InvalidInput) as err:
            service.import_days(s, text)
        assert err.value.extra["faults"] == [
            "line 2, date: '2027-13-01' is not a date like 2027-01-01",
            "line 4, is_workday: 'x' is not one of workday/holiday, 1/0, true/false, 班/休",
        ]
        assert service.list_days(s) == []
