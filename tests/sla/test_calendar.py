"""WorkCalendar on the official calendar. Expected deadlines are worked out by hand from the
State Council's published holidays, noted beside each case."""
from __future__ import annotations

import datetime as dt
import random

import chinese_calendar
import pytest

from civicloop.errors import CalendarUnknown, InvalidInput
from civicloop.sla.calendar import WorkCalendar, parse_office_hours

D, T = dt.date, dt.datetime
HOURS = "09:00-12:00,13:30-17:30"  # 7 working hours a day


@pytest.fixture
def cal():
    return WorkCalendar(office_hours=HOURS)


def working(cal, start, hours):
    return cal.add(start, hours, "working")


# --- days ---------------------------------------------------------------------------

def test_weekends_are_rest_days(cal):
    # March 2025 has no public holiday: Mon 10 is a workday, Sat 8 and Sun 9 are not.
    assert [cal.is_workday(D(2025, 3, d)) for d in range(7, 11)] == [True, False, False, True]
    # Fri 17:00 + 1 h: half an hour on Friday, the other half on Monday.
    assert working(cal, T(2025, 3, 7, 17), 1) == T(2025, 3, 10, 9, 30)


def test_spring_festival_2025(cal):
    # 国务院: 春节 1月28日至2月4日放假，1月26日（周日）、2月8日（周六）上班.
    for offset in range(8):
        day = D(2025, 1, 28) + dt.timedelta(days=offset)
        assert not cal.is_workday(day), day
        assert chinese_calendar.get_holiday_detail(day) == (True, "Spring Festival")
    assert cal.is_workday(D(2025, 1, 26)) and D(2025, 1, 26).weekday() == 6
    assert cal.is_workday(D(2025, 2, 8)) and D(2025, 2, 8).weekday() == 5
    assert cal.is_workday(D(2025, 2, 5))
    # Mon 27th 16:00 + 8 h: 1.5 h that day, holiday to 4 Feb, Wed 5 Feb 3 h in the morning
    # and 3.5 h from 13:30.
    assert working(cal, T(2025, 1, 27, 16), 8) == T(2025, 2, 5, 17)
    # Fri 24 Jan 10:00 + 40 h: Fri 6 h, Sun 26 (make-up) 7, Mon 27 7, Wed 5 Feb 7, Thu 6 Feb 7
    # = 34 h; Fri 7 Feb 3 h in the morning and 3 h from 13:30.
    assert working(cal, T(2025, 1, 24, 10), 40) == T(2025, 2, 7, 16, 30)


def test_national_day_2026(cal):
    # 国务院: 国庆节 10月1日至7日放假调休，9月20日（周日）、10月10日（周六）上班.
    for d in range(1, 8):
        assert not cal.is_workday(D(2026, 10, d))
    assert cal.is_workday(D(2026, 9, 20)) and cal.is_workday(D(2026, 10, 10))
    assert not cal.is_workday(D(2026, 10, 11))
    # Wed 30 Sep 17:00 + 1 h: half an hour, then the holiday, then Thu 8 Oct.
    assert working(cal, T(2026, 9, 30, 17), 1) == T(2026, 10, 8, 9, 30)
    # Fri 9 Oct 17:00 + 1 h: the make-up Saturday counts.
    assert working(cal, T(2026, 10, 9, 17), 1) == T(2026, 10, 10, 9, 30)


# --- office hours -------------------------------------------------------------------

@pytest.mark.parametrize(("start", "hours", "deadline"), [
    (T(2025, 3, 10, 11), 2, T(2025, 3, 10, 14, 30)),       # over the lunch break
    (T(2025, 3, 10, 12, 30), 1, T(2025, 3, 10, 14, 30)),   # starting in the lunch break
    (T(2025, 3, 10, 12), 0.5, T(2025, 3, 10, 14)),         # starting as the morning ends
    (T(2025, 3, 10, 17), 1, T(2025, 3, 11, 9, 30)),        # 17:00: half an hour left today
    (T(2025, 3, 10, 8), 1, T(2025, 3, 10, 10)),            # before the office opens
    (T(2025, 3, 10, 20), 1, T(2025, 3, 11, 10)),           # after it closes
    (T(2025, 3, 10, 9), 3, T(2025, 3, 10, 12)),            # ends exactly at 12:00
    (T(2025, 3, 10, 13, 30), 4, T(2025, 3, 10, 17, 30)),   # ends exactly at closing
    (T(2025, 3, 10, 9), 7, T(2025, 3, 10, 17, 30)),        # one full day, not next morning
    (T(2025, 3, 10, 9), 7.5, T(2025, 3, 11, 9, 30)),
    (T(2025, 1, 29, 10), 1, T(2025, 2, 5, 10)),            # on a holiday (春节 初二)
    (T(2025, 3, 10, 18), 0, T(2025, 3, 11, 9)),            # no time: counting would start here
    (T(2025, 3, 10, 10), 0, T(2025, 3, 10, 10)),
])
def test_office_hour_edges(cal, start, hours, deadline):
    assert working(cal, start, hours) == deadline


def test_office_hours_as_periods():
    periods = [(dt.time(14), dt.time(18)), (dt.time(8, 30), dt.time(12))]
    cal = WorkCalendar(office_hours=periods)
    assert cal.periods == ((510, 720), (840, 1080))
    assert cal.add(T(2025, 3, 10, 11), 2, "working") == T(2025, 3, 10, 15)


@pytest.mark.parametrize("bad", ["", "9-12", "09:00-12:00,11:00-17:00", "12:00-09:00", "09:00-12:00-13:00"])
def test_bad_office_hours_are_refused(bad):
    with pytest.raises(InvalidInput) as err:
        parse_office_hours(bad)
    assert err.value.field == "office_hours"


def test_bad_arguments_are_refused(cal):
    with pytest.raises(InvalidInput) as err:
        cal.add(T(2025, 3, 10, 9), 1, "calendar")
    assert err.value.field == "basis"
    for hours in (-1, float("nan"), float("inf")):
        with pytest.raises(InvalidInput):
            cal.add(T(2025, 3, 10, 9), hours, "working")
    with pytest.raises(InvalidInput):
        cal.add(T(2025, 3, 10, 9, tzinfo=dt.timezone.utc), 1, "working")


# --- natural time -------------------------------------------------------------------

def test_natural_hours_ignore_holidays(cal):
    start = T(2025, 1, 27, 16)  # the day before 春节
    assert cal.add(start, 48, "natural") == T(2025, 1, 29, 16)
    assert cal.hours_between(start, T(2025, 2, 5, 16), "natural") == 9 * 24
    assert cal.hours_between(T(2025, 2, 5, 16), start, "natural") == -9 * 24


# --- hours_between ------------------------------------------------------------------

def test_hours_between_by_hand(cal):
    assert cal.hours_between(T(2025, 3, 10, 11), T(2025, 3, 10, 14), "working") == 1.5
    # Mon 27 Jan 16:00 to Wed 5 Feb 10:00: 1.5 h + the holiday + 1 h.
    assert cal.hours_between(T(2025, 1, 27, 16), T(2025, 2, 5, 10), "working") == 2.5
    assert cal.hours_between(T(2025, 2, 5, 10), T(2025, 1, 27, 16), "working") == -2.5
    assert cal.hours_between(T(2025, 2, 1, 10), T(2025, 2, 2, 10), "working") == 0  # inside the holiday


def test_add_and_hours_between_agree():
    cal = WorkCalendar(office_hours=HOURS)
    rng = random.Random(20250128)
    first = T(2025, 1, 1)
    for _ in range(2000):
        # Starts anywhere in time, to the second, from 2025 to Oct 2026 (so +200 h stays in 2026).
        start = first + dt.timedelta(seconds=rng.randrange(int(660 * 86400)))
        hours = rng.choice([0, 0.25, 1, 3, 7, 8, 16, 24, 40, 72, 200]) * rng.choice([1, 0.8, 1 / 3])
        end = cal.add(start, hours, "working")
        assert abs(cal.hours_between(start, end, "working") - hours) < 1e-6, (start, hours, end)
        assert cal.hours_between(end, start, "working") == -cal.hours_between(start, end, "working")
        # The deadline lies in an office period of a workday, never before the start.
        assert end >= start and cal.is_workday(end.date())
        minute = end.hour * 60 + end.minute + end.second / 60
        assert any(s <= minute <= e for s, e in cal.periods), end
        # More hours never give an earlier deadline (the yellow mark comes before red).
        assert cal.add(start, hours * 0.8, "working") <= end


# --- years the package does not know --------------------------------------------------

def test_2027_is_unknown_and_names_the_date(cal):
    assert cal.year_status(2027) == "unknown"
    with pytest.raises(CalendarUnknown) as err:
        cal.is_workday(D(2027, 1, 4))
    assert err.value.field == "date"
    assert err.value.detail.startswith("2027-01-04: ")
    assert "2027" in err.value.detail and "civicloop calendar import" in err.value.detail
    # A working deadline running into 2027 is refused at the first day it cannot judge.
    with pytest.raises(CalendarUnknown) as err:
        cal.add(T(2026, 12, 31, 16), 8, "working")
    assert err.value.detail.startswith("2027-01-01: ")
    with pytest.raises(CalendarUnknown):
        cal.hours_between(T(2026, 12, 31, 16), T(2027, 1, 5, 10), "working")
    # Natural time needs no calendar.
    assert cal.add(T(2026, 12, 31, 16), 24, "natural") == T(2027, 1, 1, 16)


def test_overrides_make_2027_known():
    cal = WorkCalendar({D(2027, 1, 1): False}, office_hours=HOURS)
    assert cal.year_status(2027) == "overrides" and cal.year_status(2028) == "unknown"
    assert cal.year_status(2026) == "package"
    # Unmarked days follow Monday–Friday: Fri 1 Jan marked, Sat 2 and Sun 3 rest, Mon 4 works.
    assert [cal.is_workday(D(2027, 1, d)) for d in range(1, 5)] == [False, False, False, True]
    # Thu 31 Dec 2026 16:00 + 8 h: 1.5 h that day, then Mon 4 Jan 3 h + 3.5 h from 13:30.
    assert cal.add(T(2026, 12, 31, 16), 8, "working") == T(2027, 1, 4, 17)
    with pytest.raises(CalendarUnknown):
        cal.is_workday(D(2028, 1, 3))


def test_overrides_win_over_the_package():
    cal = WorkCalendar({D(2025, 3, 10): False, D(2025, 3, 15): True, D(2025, 1, 28): True}, office_hours=HOURS)
    assert chinese_calendar.is_workday(D(2025, 3, 10)) and not cal.is_workday(D(2025, 3, 10))
    assert not chinese_calendar.is_workday(D(2025, 3, 15)) and cal.is_workday(D(2025, 3, 15))
    assert not chinese_calendar.is_workday(D(2025, 1, 28)) and cal.is_workday(D(2025, 1, 28))
    # Fri 7 Mar 17:00 + 1 h: Monday 10 is now a holiday.
    assert cal.add(T(2025, 3, 7, 17), 1, "working") == T(2025, 3, 11, 9, 30)
    # Fri 14 Mar 17:00 + 1 h: Saturday 15 is now a workday.
    assert cal.add(T(2025, 3, 14, 17), 1, "working") == T(2025, 3, 15, 9, 30)
