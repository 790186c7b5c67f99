"""`civicloop notify …` commands: read the outbox, send what waits in it."""
from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from sqlalchemy import func, select

from civicloop.cases.service import get_case
from civicloop.db import transaction
from civicloop.notify import service
from civicloop.notify.models import CHANNELS, STATUSES, Notification
from civicloop.privacy import mask_text
from civicloop.settings import local_now

app = typer.Typer(help="Notifications to reporters.", no_args_is_help=True)
console = Console()


@app.command("list")
def list_(status: str | None = typer.Option(None, help=", ".join(STATUSES)),
          case: str | None = typer.Option(None, help="Only this case (id or number)"),
          limit: int = typer.Option(50, min=1, max=10_000, help="How many, newest first")) -> None:
    """The outbox, newest first; phones masked."""
    with transaction() as session:
        case_id = get_case(session, case).id if case else None
        rows, total = service.list_notifications(session, status=status, case_id=case_id, limit=limit)
        table = Table(title=f"通知 {len(rows)} / {total}")
        for column in ("#", "案件", "事由", "接收人", "渠道", "状态", "生成时间", "内容"):
            table.add_column(column)
        for n in rows:
            table.add_row(str(n.id), str(n.case_id), n.event, service.recipient_label(n), CHANNELS[n.channel],
                          STATUSES[n.status], f"{n.created_at:%Y-%m-%d %H:%M}", mask_text(n.text))
    console.print(table)


@app.command("send")
def send(sender: str = typer.Option("log", help="How to send: " + ", ".join(service.SENDERS)
                                    + " (the only one today: writes each message to the log)"),
         limit: int = typer.Option(1000, min=1, help="Send at most this many")) -> None:
    """Send the pending notifications, oldest first, and mark each sent (or failed). The log
    sender writes each message as a JSON line on standard error, the phone masked."""
    from civicloop.ops import logs

    chosen = service.sender_named(sender)
    logs.configure(access_log=False)
    with transaction() as session:
        waiting = min(limit, session.scalar(select(func.count()).select_from(Notification)
                                            .where(Notification.status == "pending")))
        with Progress(TextColumn("  sending"), BarColumn(), MofNCompleteColumn(), console=console,
                      transient=True) as bar:
            task = bar.add_task("send", total=waiting)
            result = service.send_pending(session, chosen, now=local_now(), limit=limit,
                                          progress=lambda: bar.advance(task))
    console.print(f"已发送 {result.sent} 条，待重试 {result.retry} 条，失败 {result.failed} 条（发送方式: {chosen.name}）")
