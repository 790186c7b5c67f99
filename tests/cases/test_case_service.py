"""The case engine through its service layer, on SQLite and PostgreSQL."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from civicloop.cases import service
from civicloop.cases.models import Case, CaseAssist, CaseEvent
from civicloop.db import transaction
from civicloop.errors import Conflict, Forbidden, InvalidInput, NotFound

from .conftest import MONDAY

H = dt.timedelta(hours=1)


def counts(world):
    with transaction(world.engine) as s:
        return s.scalar(select(func.count()).select_from(Case)), s.scalar(select(func.count()).select_from(CaseEvent))


def test_happy_path_through_the_closed_loop(world):
    c = world.create()
    assert c.state == "reported" and c.grid_code == world.cells[0] and c.community_code.endswith("001")
    assert c.number == f"420106-20261123-{c.id:06d}"
    # dispatch limit 2 working hours from Monday 09:00
    assert c.deadline == dt.datetime(2026, 11, 23, 11, 0)
    world.act(c.id, "register", "dispatcher", MONDAY + 0.5 * H)
    c = world.act(c.id, "dispatch", "dispatcher", MONDAY + 1 * H, department_id=world.departments["cg"])
    # 16 working hours from Mon 10:00: Mon 6h (10-12, 13:30-17:30), Tue 7h, Wed 3h → Wed 12:00
    assert c.handle_deadline == dt.datetime(2026, 11, 25, 12, 0)
    # yellow at 75 % = 12 h: Mon 6h, Tue 6h → Tue 16:30
    assert c.yellow_at == dt.datetime(2026, 11, 24, 16, 30)
    world.act(c.id, "accept", "handler", MONDAY + 2 * H)
    world.act(c.id, "feedback", "handler", MONDAY + 5 * H, note="已修复路灯")
    c = world.act(c.id, "verify_pass", "grid_worker", MONDAY + 6 * H)
    assert c.state == "closed" and c.closed_at == MONDAY + 6 * H and c.deadline is None and not c.overdue
    c = world.act(c.id, "rate", "operator", MONDAY + 7 * H, rating="satisfied")
    assert c.rating == "satisfied"
    evs = world.events(c.id)
    assert [e.action for e in evs] == ["report", "register", "dispatch", "accept", "feedback", "verify_pass", "rate"]
    assert [e.seq for e in evs] == list(range(1, 8)) and c.version == 7
    assert evs[2].actor_role == "dispatcher" and evs[2].from_state == "registered" and evs[2].to_state == "dispatched"


def test_dispatch_without_department_follows_routing(world):
    c = world.create()
    world.act(c.id, "register", "dispatcher", MONDAY)
    c = world.act(c.id, "dispatch", "dispatcher", MONDAY)
    assert c.lead_department_id == world.departments["zj"]  # rule: 城乡建设 → 住建
    c = world.create(category="0102", title="违建", body="楼顶加盖")
    assert c.priority == "urgent" and c.time_basis == "natural"
    assert c.deadline == MONDAY + 24 * H  # natural hours
    world.act(c.id, "register", "dispatcher", MONDAY)
    c = world.act(c.id, "dispatch", "dispatcher", MONDAY + H)
    assert c.lead_department_id == world.departments["cg"] and c.handle_deadline == MONDAY + 49 * H


def test_reject_and_merge(world):
    a, b, c = world.create(), world.create(), world.create()
    with pytest.raises(InvalidInput) as e:
        world.act(a.id, "reject", "dispatcher", MONDAY)
    assert e.value.field == "note"
    a = world.act(a.id, "reject", "dispatcher", MONDAY, note="不属于受理范围")
    assert a.state == "rejected" and a.deadline is None and a.next_check_at is None
    with pytest.raises(InvalidInput) as e:
        world.act(b.id, "merge", "dispatcher", MONDAY, master_case_id=a.id)
    assert e.value.field == "master_case_id"  # a rejected case cannot be a master
    with pytest.raises(InvalidInput):
        world.act(b.id, "merge", "dispatcher", MONDAY, master_case_id=b.id)
    with pytest.raises(NotFound):
        world.act(b.id, "merge", "dispatcher", MONDAY, master_case_id=10**6)
    b = world.act(b.id, "merge", "dispatcher", MONDAY, master_case_id=c.id)
    assert b.state == "merged" and b.merged_into_id == c.id


def _to_handling(world, who="handler", dep="cg", at=MONDAY, **kw):
    c = world.create(at=at, **kw)
    world.act(c.id, "register", "dispatcher", at)
    world.act(c.id, "dispatch", "dispatcher", at, department_id=world.departments[dep])
    return world.act(c.id, "accept", who, at)


def test_return_approved_and_refused(world):
    c = world.create()
    world.act(c.id, "register", "dispatcher", MONDAY)
    world.act(c.id, "dispatch", "dispatcher", MONDAY, department_id=world.departments["cg"])
    with pytest.raises(Forbidden):  # another department may not return it
        world.act(c.id, "return", "handler_zj", MONDAY, note="不是我们的")
    c = world.act(c.id, "return", "handler", MONDAY + H, note="属住建职责")
    assert c.state == "return_requested"
    c = world.act(c.id, "refuse_return", "dispatcher", MONDAY + 2 * H, note="属城管职责")
    assert c.state == "dispatched" and c.return_count == 0
    world.act(c.id, "return", "handler", MONDAY + 3 * H, note="再次退回")
    c = world.act(c.id, "approve_return", "dispatcher", MONDAY + 4 * H)
    assert c.state == "registered" and c.lead_department_id is None and c.return_count == 1
    # approved at 13:00, in the lunch break: a new 2 h dispatch step runs 13:30 → 15:30
    assert c.handle_deadline is None and c.deadline == MONDAY + 6.5 * H
    c = world.act(c.id, "dispatch", "dispatcher", MONDAY + 5 * H, department_id=world.departments["zj"])
    assert world.act(c.id, "accept", "handler_zj", MONDAY + 5 * H).state == "handling"


def test_extension_moves_the_deadline_and_refusal_does_not(world):
    c = _to_handling(world)
    before = c.handle_deadline  # Wed 11:00 (16 h from Mon 09:00)
    assert before == dt.datetime(2026, 11, 25, 11, 0)
    with pytest.raises(InvalidInput) as e:
        world.act(c.id, "request_extension", "handler", MONDAY + H, note="需协调")
    assert e.value.field == "extension_hours"
    world.act(c.id, "request_extension", "handler", MONDAY + H, note="需协调", extension_hours=7)
    with pytest.raises(Conflict) as e:
        world.act(c.id, "request_extension", "handler", MONDAY + H, note="again", extension_hours=7)
    assert e.value.field == "extension"
    c = world.act(c.id, "approve_extension", "dispatcher", MONDAY + 2 * H)
    assert c.handle_deadline == dt.datetime(2026, 11, 26, 11, 0)  # one working day later
    assert c.extension_hours == 7 and c.step_hours == 23 and c.extension_requested_hours is None
    world.act(c.id, "request_extension", "handler", MONDAY + 3 * H, note="还需时间", extension_hours=7)
    c = world.act(c.id, "refuse_extension", "dispatcher", MONDAY + 3 * H, note="不予延期")
    assert c.handle_deadline == dt.datetime(2026, 11, 26, 11, 0) and c.extension_hours == 7


def test_suspension_stops_the_clock(world):
    c = _to_handling(world)
    assert c.handle_deadline == dt.datetime(2026, 11, 25, 11, 0)
    c = world.act(c.id, "suspend", "handler", MONDAY + 2 * H, note="等待产权单位")  # Mon 11:00, 14 h left
    assert c.state == "suspended" and c.deadline is None and c.next_check_at is None
    assert c.remaining_hours == pytest.approx(14)
    # resumed the next Monday 09:00: 14 working hours later is Tuesday 17:30
    c = world.act(c.id, "resume", "handler", MONDAY + dt.timedelta(days=7), note="")
    assert c.state == "handling" and c.handle_deadline == dt.datetime(2026, 12, 1, 17, 30)


def test_rework_and_reopen(world):
    c = _to_handling(world)
    world.act(c.id, "feedback", "handler", MONDAY + H, note="已处理")
    with pytest.raises(Forbidden):  # not the grid worker's own grid? it is; the citizen may not verify
        world.act(c.id, "verify_fail", "citizen", MONDAY + 2 * H, note="没修好")
    c = world.act(c.id, "verify_fail", "grid_worker", MONDAY + 2 * H, note="现场核查未修好")
    assert c.state == "handling" and c.rework_count == 1 and c.fed_back_at is None
    world.act(c.id, "feedback", "handler", MONDAY + 3 * H, note="已重新修复")
    world.act(c.id, "verify_pass", "dispatcher", MONDAY + 4 * H)
    with pytest.raises(InvalidInput) as e:  # not yet rated dissatisfied
        world.act(c.id, "reopen", "supervisor", MONDAY + 5 * H, note="重办")
    assert e.value.field == "rating"
    world.act(c.id, "rate", "operator", MONDAY + 5 * H, rating="dissatisfied")
    c = world.act(c.id, "reopen", "supervisor", MONDAY + 6 * H, note="群众不满意, 重办")
    assert c.state == "handling" and c.rating is None and c.closed_at is None and c.rework_count == 2


def test_joint_handling_waits_for_every_assisting_department(world):
    c = world.create()
    world.act(c.id, "register", "dispatcher", MONDAY)
    world.act(c.id, "dispatch", "dispatcher", MONDAY, department_id=world.departments["cg"],
              assisting_department_ids=(world.departments["zj"], world.departments["jyq"]))
    world.act(c.id, "accept", "handler", MONDAY)
    with pytest.raises(Conflict) as e:
        world.act(c.id, "feedback", "handler", MONDAY + H, note="已处理")
    assert e.value.field == "assists" and "2" in e.value.detail
    world.act(c.id, "assist_feedback", "handler_zj", MONDAY + H, note="住建已配合")
    with pytest.raises(Forbidden):
        world.act(c.id, "assist_feedback", "handler_zj", MONDAY + H, note="again")
    world.act(c.id, "assist_feedback", "handler_jyq", MONDAY + H, note="街道已配合")
    assert world.act(c.id, "feedback", "handler", MONDAY + 2 * H, note="已处理").state == "verifying"
    with transaction(world.engine) as s:
        notes = dict(s.execute(select(CaseAssist.department_id, CaseAssist.feedback)).all())
    assert notes == {world.departments["zj"]: "住建已配合", world.departments["jyq"]: "街道已配合"}


def test_supervise_and_escalate(world):
    c = world.create()
    c = world.act(c.id, "supervise", "supervisor", MONDAY, note="请加快办理")
    assert c.supervision_count == 1 and c.state == "reported"
    for level in (1, 2, 3):
        c = world.act(c.id, "escalate", "supervisor", MONDAY, note="")
        assert c.escalation_level == level
    with pytest.raises(Conflict) as e:
        world.act(c.id, "escalate", "supervisor", MONDAY)
    assert e.value.field == "escalation_level"


def test_refusals_name_the_state_and_allowed_actions(world):
    c = world.create()
    with pytest.raises(Conflict) as e:
        world.act(c.id, "accept", "handler", MONDAY)
    assert e.value.state == "reported" and e.value.allowed_actions == ()
    with pytest.raises(Conflict) as e:
        world.act(c.id, "verify_pass", "dispatcher", MONDAY)
    assert "reported" in e.value.detail
    assert set(e.value.allowed_actions) == {"request_check", "register", "reject", "merge", "reclassify"}
    with pytest.raises(Forbidden) as e:
        world.act(c.id, "register", "handler", MONDAY)
    assert e.value.field == "role"
    with pytest.raises(NotFound) as e:
        world.act(987654, "register", "dispatcher", MONDAY)
    assert e.value.field == "case"
    with pytest.raises(Conflict) as e:
        world.act(c.id, "register", "dispatcher", MONDAY, expected_version=5)
    assert e.value.field == "version"
    assert counts(world) == (1, 1)  # nothing written by any refusal


@pytest.mark.parametrize("fields,field", [
    (dict(channel="fax"), "channel"),
    (dict(title=" "), "title"),
    (dict(body=""), "body"),
    (dict(title="x" * 201), "title"),
    (dict(priority="asap"), "priority"),
    (dict(lon=114.3, lat=None), "location"),
    (dict(lon=500.0, lat=30.0), "location"),
    (dict(lon=116.40, lat=39.90), "location"),       # Beijing: outside the district
    (dict(lon=None, lat=None, address=None), "location"),
    (dict(category="no-such-category"), "category"),
    (dict(district_code="999999"), "district"),
    (dict(lon=None, lat=None, grid_code="4201060019990001"), "grid_code"),
    (dict(crs="bd09"), "crs"),
])
def test_bad_intake_is_refused_naming_the_field_and_writes_nothing(world, fields, field):
    with pytest.raises((InvalidInput, NotFound)) as e:
        world.create(**fields)
    assert e.value.field == field, e.value
    assert counts(world) == (0, 0)


def test_wgs84_points_are_converted_before_locating(world):
    from civicloop.regions.coords import gcj02_to_wgs84

    lon, lat = gcj02_to_wgs84(114.305, 30.545)  # a phone's GPS reading of the same spot
    c = world.create(lon=lon, lat=lat, crs="wgs84", channel="app")
    assert c.grid_code == world.cells[0]
    assert c.lon == pytest.approx(114.305, abs=1e-5) and c.lat == pytest.approx(30.545, abs=1e-5)


def test_idempotent_intake(world):
    a = world.create(key="call-7781")
    b = world.create(key="call-7781")
    assert a.id == b.id and counts(world) == (1, 1)
    with pytest.raises(Conflict) as e:
        world.create(key="call-7781", title="另一件事")
    assert e.value.field == "idempotency_key"
    assert counts(world) == (1, 1)


def test_every_case_rebuilds_from_its_events(world):
    test_happy_path_through_the_closed_loop(world)
    test_return_approved_and_refused(world)
    test_suspension_stops_the_clock(world)
    test_joint_handling_waits_for_every_assisting_department(world)
    with transaction(world.engine) as s:
        cases = s.scalars(select(Case)).all()
        assert len(cases) == 4
        for case in cases:
            assert service.rebuild_mismatches(s, case) == {}
        # and the check can fail: tamper with a row behind the log's back
        cases[0].warning = "red"
        s.flush()
        assert "warning" in service.rebuild_mismatches(s, cases[0])


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def test_photos_come_with_reports_and_actions(world, tmp_path, monkeypatch):
    from civicloop.cases.attachments import Upload, read
    from civicloop.cases.models import Attachment
    from civicloop.settings import get_settings

    monkeypatch.setattr(get_settings(), "attachments_dir", tmp_path)
    with transaction(world.engine) as s:
        made = service.create_case(s, service.NewCase(channel="patrol", title="暴露垃圾", body="路口垃圾堆积",
                                                      district_code="420106", lon=114.305, lat=30.545),
                                   actor=world.actors["grid_worker"], now=MONDAY,
                                   attachments=(Upload("现场.jpg", JPEG, "image/jpeg"),))
    c = made.case
    world.act(c.id, "register", "dispatcher", MONDAY)
    world.act(c.id, "dispatch", "dispatcher", MONDAY, department_id=world.departments["cg"])
    world.act(c.id, "accept", "handler", MONDAY)
    world.act(c.id, "feedback", "handler", MONDAY + H, note="已清运",
              attachments=(Upload("after.png", PNG), Upload("after-2.png", PNG)))
    with transaction(world.engine) as s:
        rows = s.query(Attachment).filter_by(case_id=c.id).order_by(Attachment.id).all()
        assert [(a.event_seq, a.content_type, a.kind) for a in rows] == [
            (1, "image/jpeg", "photo"), (5, "image/png", "photo"), (5, "image/png", "photo")]
        assert read(rows[1]) == PNG and rows[1].storage_path == rows[2].storage_path  # stored once
        assert rows[0].uploaded_by_id == world.actors["grid_worker"].user_id


@pytest.mark.parametrize("upload,error", [
    (("a.exe", b"MZ\x90\x00" * 10, None), "UnsupportedType"),
    (("a.png", JPEG, "image/png"), "UnsupportedType"),      # the name and claim lie
    (("empty.jpg", b"", None), "InvalidInput"),
    (("big.jpg", JPEG + b"\x00" * (11 * 1024 * 1024), None), "TooLarge"),
])
def test_bad_attachments_are_refused_and_nothing_is_written(world, upload, error, tmp_path, monkeypatch):
    from civicloop.cases.attachments import Upload
    from civicloop.cases.models import Attachment
    from civicloop.settings import get_settings

    monkeypatch.setattr(get_settings(), "attachments_dir", tmp_path)
    c = world.create()
    with pytest.raises(InvalidInput) as e:
        world.act(c.id, "register", "dispatcher", MONDAY, attachments=(Upload(*upload),))
    assert type(e.value).__name__ == error and e.value.field == "attachments[0]"
    assert world.get(c.id).state == "reported"
    with transaction(world.engine) as s:
        assert s.query(Attachment).count() == 0
    assert not any(tmp_path.iterdir())


def test_the_event_log_cannot_be_rewritten(world):
    from sqlalchemy import update
    from sqlalchemy.exc import DBAPIError

    c = world.create()
    with pytest.raises(DBAPIError) as e:
        with transaction(world.engine) as s:
            s.execute(update(CaseEvent).where(CaseEvent.case_id == c.id).values(note="改写历史"))
    assert "append-only" in str(e.value)
    assert world.events(c.id)[0].note != "改写历史"
