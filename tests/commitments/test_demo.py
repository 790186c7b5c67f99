"""The demo's year of 武昌区 targets and 实事, played on the district's bureaus: every item of
the packaged report tracked, milestones and progress up to the demo's day, two bulletins."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from civicloop.commitments import demo, service
from civicloop.commitments.models import Bulletin, ProgressReport
from civicloop.db import transaction
from civicloop.departments.models import Department
from civicloop.departments.seed import bureau_code
from civicloop.reports.reader import read_bytes
from civicloop.users.models import User

END = dt.datetime(2026, 11, 22, 18)


def test_a_year_is_played_through_the_service(engine):
    keys = {key for _, key in demo.KEYWORD_LEADS} | {"zfb"}
    with transaction(engine) as s:
        departments = [Department(code=bureau_code(demo.DISTRICT, key), name=key, kind="bureau",
                                  district_code=demo.DISTRICT) for key in sorted(keys)]
        s.add_all(departments)
        s.flush()
        s.add_all([User(username="leader1", name="分管副区长", role="supervisor"),
                   User(username="supervisor1", name="区督查室", role="supervisor"),
                   *(User(username=f"h-{d.code}", name=d.name, role="handler", department_id=d.id)
                     for d in departments)])
    counts = demo.play_year(engine, END, seed=1)
    reading = read_bytes(demo.REPORT.read_bytes(), demo.REPORT.name)
    assert sum(counts.values()) == len(reading.targets) + len(reading.commitments)
    assert len(counts) >= 2, counts            # not all alike: some ahead, some behind
    with transaction(engine) as s:
        items = service.list_items(s, district_code=demo.DISTRICT, year=2026)
        leads = {s.get(Department, i.lead_department_id).code for i in items}
        assert bureau_code(demo.DISTRICT, "mzj") in leads and bureau_code(demo.DISTRICT, "fgj") in leads
        assert s.scalar(select(func.max(ProgressReport.reported_on))) <= END.date()
        assert [b.as_of for b in s.scalars(select(Bulletin).order_by(Bulletin.as_of))] == [
            END.date() - dt.timedelta(days=14), END.date()]
