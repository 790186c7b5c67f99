"""Photos and documents that come with a report or an action (evidence of handling, the
grid worker's photo on patrol, the photo of a verification on site).

The type is judged by the file's first bytes, not by its name or the client's word; the
size is capped; the content is stored on disk under its SHA-256 (or in the database, by
setting), and the record names the case and the event it came with."""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from civicloop.cases.models import Attachment
from civicloop.errors import InvalidInput, TooLarge, UnsupportedType
from civicloop.settings import get_settings

# Leading bytes → media type. Enough for what phones and scanners produce.
_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)
ALLOWED = frozenset(t for _, t in _SIGNATURES) | {"image/webp", "image/heic"}


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes
    content_type: str | None = None  # what the client claimed, checked against the bytes


def sniff(data: bytes) -> str | None:
    for magic, media_type in _SIGNATURES:
        if data.startswith(magic):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        return "image/heic"
    return None


def check(upload: Upload, index: int = 0) -> str:
    """The upload's media type, or an error naming the attachment and what is wrong."""
    where = f"attachments[{index}]"
    limit = get_settings().attachment_max_bytes
    if not upload.data:
        raise InvalidInput(where, f"{upload.filename!r} is empty")
    if len(upload.data) > limit:
        raise TooLarge(where, f"{upload.filename!r} is {len(upload.data):,} bytes; at most {limit:,} allowed")
    media_type = sniff(upload.data)
    if media_type is None:
        raise UnsupportedType(where, f"{upload.filename!r} is not a JPEG, PNG, GIF, WebP, HEIC photo or a PDF")
    if upload.content_type and upload.content_type != media_type:
        raise UnsupportedType(where, f"{upload.filename!r} says {upload.content_type} but its content is {media_type}")
    return media_type


def store(session: Session, *, case_id: int, event_seq: int, uploads: tuple[Upload, ...],
          actor_id: int | None, now: dt.datetime) -> list[Attachment]:
    """Record the uploads (already checked) with the case and event they came with."""
    settings = get_settings()
    records = []
    for upload in uploads:
        media_type = sniff(upload.data)
        digest = hashlib.sha256(upload.data).hexdigest()
        path, content = None, None
        if settings.attachments_in_database:
            content = upload.data
        else:
            target = Path(settings.attachments_dir) / digest[:2] / digest
            if not target.exists():  # same content, same file: stored once
                target.parent.mkdir(parents=True, exist_ok=True)
                partial = target.with_suffix(".part")
                partial.write_bytes(upload.data)
                partial.replace(target)
            path = str(target)
        records.append(Attachment(case_id=case_id, event_seq=event_seq,
                                  kind="document" if media_type == "application/pdf" else "photo",
                                  filename=Path(upload.filename).name[:200] or "upload", content_type=media_type,
                                  size=len(upload.data), sha256=digest, storage_path=path, content=content,
                                  created_at=now, uploaded_by_id=actor_id))
    session.add_all(records)
    return records


def read(attachment: Attachment) -> bytes:
    return attachment.content if attachment.content is not None else Path(attachment.storage_path).read_bytes()
