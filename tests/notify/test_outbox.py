"""The outbox: a notice kept in the action's transaction for a reporter who can be
reached, sent through a sender that marks it, retried, and never shown with the phone."""
from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from civicloop import cli
from civicloop.db import transaction
from civicloop.errors import InvalidInput
from civicloop.notify import cli as notify_cli
from civicloop.notify import service
from civicloop.notify.models import Notification
from tests.cases.conftest import MONDAY

PHONE = "13812345678"  # the world's default reporter phone
runner = CliRunner()


def outbox(world) -> list[Notification]:
    with transaction(world.engine) as s:
        rows = s.scalars(select(Notification).order_by(Notification.id)).all()
        s.expunge_all()
        return rows


def test_registration_keeps_one_notice_and_an_unreachable_reporter_gets_none(world):
    case = world.create()
    assert outbox(world) == []  # taking a case in tells nobody yet
    world.act(case.id, "register", "dispatcher", MONDAY)
    (notice,) = outbox(world)
    assert (notice.case_id, notice.event, notice.channel, notice.recipient_phone, notice.status, notice.attempts) \
        == (case.id, "register", "sms", PHONE, "pending", 0)
    assert notice.text == f"您反映的问题已受理立案，编号{case.number}，我们将尽快办理。"
    patrol = world.create(channel="patrol", reporter_name=None, reporter_phone=None)
    world.act(patrol.id, "register", "dispatcher", MONDAY)
    world.act(case.id, "supervise", "supervisor", MONDAY, note="请加快")  # tells nobody
    assert [n.case_id for n in outbox(world)] == [case.id]


def test_a_result_is_quoted_masked_and_cut(world):
    case = world.create()
    world.act(case.id, "reject", "dispatcher", MONDAY, note="请拨打13900001111联系供电公司。" + "说明" * 200)
    (notice,) = outbox(world)
    assert "139****1111" in notice.text and "13900001111" not in notice.text
    assert notice.text.startswith(f"您反映的问题（编号{case.number}）不予立案。原因：请拨打")
    assert len(notice.text) < service.RESULT_MAX + 60 and "…" in notice.text


def test_send_marks_sent_and_the_log_shows_no_phone(world, caplog):
    for at in (MONDAY, MONDAY + dt.timedelta(minutes=5)):
        world.act(world.create(at=at).id, "register", "dispatcher", at)
    caplog.set_level(logging.INFO, logger="civicloop.notify")
    logging.getLogger("civicloop.notify").addHandler(caplog.handler)  # whether or not civicloop's propagate
    sent_at = MONDAY + dt.timedelta(hours=1)
    with transaction(world.engine) as s:
        result = service.send_pending(s, service.sender_named("log"), now=sent_at, limit=1)
    assert (result.sent, result.retry, result.failed) == (1, 0, 0)
    first, second = outbox(world)
    assert (first.status, first.sent_at, first.attempts) == ("sent", sent_at, 1)
    assert (second.status, second.sent_at) == ("pending", None)
    assert "138****5678" in caplog.text and PHONE not in caplog.text
    with transaction(world.engine) as s:
        assert service.send_pending(s, service.LogSender(), now=sent_at).sent == 1
        assert service.send_pending(s, service.LogSender(), now=sent_at).sent == 0


class Unreachable:
    """A gateway that is down: every message fails."""
    name = "unreachable"

    def send(self, notification):
        raise service.SendFailed("gateway timeout")


def test_a_failing_sender_is_retried_then_the_message_is_marked_failed(world):
    world.act(world.create().id, "register", "dispatcher", MONDAY)
    outcomes = []
    for _ in range(service.MAX_ATTEMPTS + 1):
        with transaction(world.engine) as s:
            r = service.send_pending(s, Unreachable(), now=MONDAY)
        outcomes.append((r.sent, r.retry, r.failed))
    assert outcomes == [(0, 1, 0)] * (service.MAX_ATTEMPTS - 1) + [(0, 0, 1), (0, 0, 0)]
    (notice,) = outbox(world)
    assert (notice.status, notice.attempts, notice.error) == ("failed", service.MAX_ATTEMPTS, "gateway timeout")


def test_bad_arguments_name_the_field(world):
    with pytest.raises(InvalidInput) as refused:
        service.sender_named("pigeon")
    assert refused.value.field == "sender"
    with transaction(world.engine) as s:
        with pytest.raises(InvalidInput) as refused:
            service.list_notifications(s, status="lost")
        assert refused.value.field == "status"
        with pytest.raises(InvalidInput) as refused:
            service.send_pending(s, service.LogSender(), now=MONDAY, limit=0)
        assert refused.value.field == "limit"


def test_the_commands_list_masked_and_send(world, monkeypatch):
    monkeypatch.setattr(notify_cli, "transaction", lambda: transaction(world.engine))
    root = logging.getLogger("civicloop")  # `send` sets up civicloop's JSON log lines: undone after
    for attribute in ("handlers", "propagate", "level"):
        monkeypatch.setattr(root, attribute, getattr(root, attribute) if attribute != "handlers" else list(root.handlers))
    case = world.create()
    world.act(case.id, "register", "dispatcher", MONDAY)
    listed = runner.invoke(cli.app, ["notify", "list", "--case", case.number], env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    assert "138****5678" in listed.output and PHONE not in listed.output and "待发送" in listed.output
    sent = runner.invoke(cli.app, ["notify", "send"])
    assert sent.exit_code == 0 and "已发送 1 条" in sent.output, sent.output
    assert '"logger": "civicloop.notify"' in sent.output and "138****5678" in sent.output  # the log line, on stderr
    assert PHONE not in sent.output
    assert outbox(world)[0].status == "sent"
    assert "已发送" in runner.invoke(cli.app, ["notify", "list", "--status", "sent"], env={"COLUMNS": "200"}).output
    wrong = runner.invoke(cli.app, ["notify", "send", "--sender", "pigeon"])
    assert wrong.exit_code != 0 and "sender" in str(wrong.exception)
