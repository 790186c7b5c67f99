"""HTTP endpoints of notify/: the outbox, for admins. Phones are masked in every answer."""
from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from civicloop.api.deps import allowed, read
from civicloop.api.schemas import ApiModel
from civicloop.cases.service import get_case
from civicloop.notify import service
from civicloop.notify.models import CHANNELS, STATUSES, Notification
from civicloop.privacy import mask_phone, mask_text

router = APIRouter(tags=["notifications"])
OutboxReader = allowed("notifications.read")
PER_PAGE_MAX = 200


class NotificationOut(ApiModel):
    id: int
    case_id: int
    event: str = Field(description="the lifecycle action that caused it")
    channel: Literal[tuple(CHANNELS)]  # type: ignore[valid-type]
    recipient_user_id: int | None
    recipient_phone: str | None = Field(description="masked")
    text: str
    status: Literal[tuple(STATUSES)]  # type: ignore[valid-type]
    status_label: str
    attempts: int
    created_at: dt.datetime
    sent_at: dt.datetime | None
    error: str | None


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    total: int
    page: int
    per_page: int
    pages: int


def notification_out(n: Notification) -> NotificationOut:
    return NotificationOut(id=n.id, case_id=n.case_id, event=n.event, channel=n.channel,
                           recipient_user_id=n.recipient_user_id, recipient_phone=mask_phone(n.recipient_phone),
                           text=mask_text(n.text), status=n.status, status_label=STATUSES[n.status],
                           attempts=n.attempts, created_at=n.created_at, sent_at=n.sent_at,
                           error=mask_text(n.error))


@router.get("/notifications", response_model=NotificationPage, summary="The notification outbox (admin)")
def list_notifications(
    request: Request, principal: OutboxReader,
    status: Literal[tuple(STATUSES)] | None = None,  # type: ignore[valid-type]
    case: Annotated[str | None, Query(max_length=40, description="a case id or number")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=PER_PAGE_MAX)] = 50,
) -> NotificationPage:
    """What reporters were told or are about to be, newest first."""
    with read(request) as session:
        case_id = get_case(session, case).id if case else None
        rows, total = service.list_notifications(session, status=status, case_id=case_id,
                                                 offset=(page - 1) * per_page, limit=per_page)
        items = [notification_out(n) for n in rows]
    return NotificationPage(items=items, total=total, page=page, per_page=per_page, pages=math.ceil(total / per_page))
