"""The notification outbox: what reporters are told, and when.

A lifecycle action that a reporter must hear about (立案, 合并, 不予立案, 结案 — their
own case's, or its master's when it was merged) writes one row to `notifications` in the
action's own transaction, so a case is never changed without its notice being kept, and
never noticed without being changed. Sending is separate (`send_pending`): a sender takes
the pending rows and marks them sent or failed. The only sender today writes each message
to the log; an SMS gateway or an app push is another class with the same `send`.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from civicloop.cases.models import Case
from civicloop.errors import InvalidInput
from civicloop.notify.models import STATUSES, Notification
from civicloop.privacy import mask_phone, mask_text

log = logging.getLogger("civicloop.notify")

RESULT_MAX = 200        # characters of the result (办理结果) quoted in a message
MAX_ATTEMPTS = 3        # a message that failed this often is marked failed and left alone
_REGISTERED = "您反映的问题已受理立案，编号{number}，我们将尽快办理。"
_MERGED = "您反映的问题已与编号{master}的同一问题合并办理，您的编号{number}，办理结果将一并告知。"
_CLOSED = "您反映的问题（编号{number}）已办结。办理结果：{result}。欢迎对办理结果进行评价。"
_REJECTED = "您反映的问题（编号{number}）不予立案。原因：{result}。"
# The lifecycle action → the message its reporter gets. Cases merged into another hear of
# the merge and then of the master's outcome (close_with_master, reject_with_master).
TEMPLATES = {
    "register": _REGISTERED,
    "merge": _MERGED,
    "follow_master": _MERGED,
    "reject": _REJECTED,
    "reject_with_master": _REJECTED,
    "verify_pass": _CLOSED,
    "close_with_master": _CLOSED,
}
_INSERT = insert(Notification.__table__)


def _number(session: Session, case_id: int | None) -> str | None:
    if case_id is None:
        return None
    row = session.execute(select(Case.id, Case.district_code, Case.reported_at).where(Case.id == case_id)).one()
    return Case.number.fget(row)


def _result(note: str | None) -> str:
    text = " ".join((mask_text(note) or "").split())
    if not text:
        return "已处理"
    return text if len(text) <= RESULT_MAX else text[:RESULT_MAX] + "…"


def message(session: Session, case, action: str) -> str | None:
    """The text the reporter of `case` gets for `action`, or None when that action tells nobody."""
    template = TEMPLATES.get(action)
    if template is None:
        return None
    return template.format(number=Case.number.fget(case), master=_number(session, case.merged_into_id),
                           result=_result(case.resolution_note))


def case_changed(session: Session, case, action: str, *, now: dt.datetime) -> Notification | None:
    """Keep the notice `action` owes the case's reporter, if any: in the app to a reporter with
    an account, else by SMS to the phone they gave; nothing when they left neither."""
    text = message(session, case, action)
    if text is None or (case.reporter_user_id is None and not case.reporter_phone):
        return None
    channel = "app" if case.reporter_user_id is not None else "sms"
    values = {"case_id": case.id, "event": action, "recipient_user_id": case.reporter_user_id,
              "recipient_phone": case.reporter_phone if channel == "sms" else None, "channel": channel,
              "text": text, "created_at": now, "status": "pending", "attempts": 0}
    session.execute(_INSERT, values)
    return Notification(**values)


def list_notifications(session: Session, *, status: str | None = None, case_id: int | None = None,
                       offset: int = 0, limit: int = 50) -> tuple[list[Notification], int]:
    """Newest first, with the number of all that match."""
    if status is not None and status not in STATUSES:
        raise InvalidInput("status", f"one of {', '.join(STATUSES)}, got {status!r}")
    where = [c for c in (Notification.status == status if status else None,
                         Notification.case_id == case_id if case_id is not None else None) if c is not None]
    rows = session.scalars(select(Notification).where(*where).order_by(Notification.id.desc())
                           .offset(offset).limit(limit)).all()
    total = session.scalar(select(func.count()).select_from(Notification).where(*where))
    return list(rows), total


def recipient_label(n: Notification) -> str:
    """Who a notification goes to, for any output: the phone always masked."""
    return f"用户#{n.recipient_user_id}" if n.recipient_user_id is not None else mask_phone(n.recipient_phone) or ""


# ---------------------------------------------------------------- sending

class SendFailed(Exception):
    """The sender could not deliver this message (it is tried again later)."""


class Sender(Protocol):
    name: str

    def send(self, notification: Notification) -> None:
        """Deliver one message, or raise SendFailed."""


class LogSender:
    """Writes each message to the log (logger `civicloop.notify`), the recipient masked.
    The only sender today: it stands where an SMS gateway or an app push will."""
    name = "log"

    def send(self, notification: Notification) -> None:
        log.info("notification %s to %s by %s: %s", notification.id, recipient_label(notification),
                 notification.channel, notification.text,
                 extra={"notification_id": notification.id, "case_id": notification.case_id})


SENDERS: dict[str, type] = {"log": LogSender}


def sender_named(name: str) -> Sender:
    if name not in SENDERS:
        raise InvalidInput("sender", f"one of {', '.join(SENDERS)}, got {name!r}")
    return SENDERS[name]()


@dataclass
class SendResult:
    sent: int = 0
    retry: int = 0    # failed this time; tried again on the next run
    failed: int = 0   # failed MAX_ATTEMPTS times: left for a person to look at


def send_pending(session: Session, sender: Sender, *, now: dt.datetime, limit: int = 1000,
                 progress=None) -> SendResult:
    """Send up to `limit` pending messages, oldest first. On PostgreSQL the rows are locked
    with SKIP LOCKED, so two senders at once never send one message twice."""
    if limit < 1:
        raise InvalidInput("limit", f"at least 1, got {limit}")
    pending = session.scalars(select(Notification).where(Notification.status == "pending")
                              .order_by(Notification.id).limit(limit).with_for_update(skip_locked=True)).all()
    result = SendResult()
    for notification in pending:
        notification.attempts += 1
        try:
            sender.send(notification)
        except SendFailed as exc:
            notification.error = str(exc)[:500]
            if notification.attempts >= MAX_ATTEMPTS:
                notification.status = "failed"
                result.failed += 1
            else:
                result.retry += 1
        else:
            notification.status, notification.sent_at, notification.error = "sent", now, None
            result.sent += 1
        if progress is not None:
            progress()
    return result
