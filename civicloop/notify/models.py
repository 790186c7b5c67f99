"""Tables of notify/: the outbox of what reporters are told (短信/应用内通知)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from civicloop.db import Base

CHANNELS = {"sms": "短信", "app": "应用内通知"}
STATUSES = {"pending": "待发送", "sent": "已发送", "failed": "发送失败"}


class Notification(Base):
    """One message to one reporter. The phone number is kept whole here and only here,
    because the sender needs it; every output of the outbox masks it."""
    __tablename__ = "notifications"
    __table_args__ = (
        # The sender's only query: what is still to be sent, oldest first.
        Index("ix_notifications_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    event: Mapped[str] = mapped_column(String(24))  # the lifecycle action that caused it
    recipient_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recipient_phone: Mapped[str | None] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(8))  # sms | app
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    error: Mapped[str | None] = mapped_column(Text)
