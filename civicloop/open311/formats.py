"""GeoReport v2 bodies: JSON by the spec's Spark convention, XML with the spec's element
names, and W3C datetimes that carry the district's offset (stored times are naive local)."""
from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from zoneinfo import ZoneInfo

from fastapi import Response

from civicloop.errors import InvalidInput
from civicloop.settings import get_settings

MEDIA_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# The element a list's members get in XML (<attributes><attribute/>…</attributes>).
MEMBER = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}


def _zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def w3c(value: dt.datetime | None) -> str | None:
    """A stored (naive local) time as the spec wants it: with its UTC offset."""
    return value.replace(tzinfo=_zone()).isoformat(timespec="seconds") if value is not None else None


def parse_w3c(text: str, field: str) -> dt.datetime:
    """A W3C datetime as a naive local time of the district; one without an offset is
    taken as local already."""
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(field, f"{text!r} is not a W3C datetime such as 2026-11-22T09:00:00+08:00") from None
    if value.tzinfo is None:
        return value
    try:
        return value.astimezone(_zone()).replace(tzinfo=None)
    except (OverflowError, ValueError):
        raise InvalidInput(field, f"{text!r} is out of range") from None


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _fill(element: ET.Element, fields: dict) -> None:
    for name, value in fields.items():
        child = ET.SubElement(element, name)
        if isinstance(value, list):
            for member in value:
                node = ET.SubElement(child, MEMBER[name])
                if isinstance(member, dict):
                    _fill(node, member)
                else:
                    node.text = _text(member)
        else:
            child.text = _text(value)


def render(fmt: str, root: str, body: list[dict] | dict, *, member: str = "request", status: int = 200,
           headers: dict | None = None) -> Response:
    """`body` as JSON, or as XML under `root`: a list's items each as a `member` element,
    a dict's fields directly under the root."""
    if fmt == "json":
        content = json.dumps(body, ensure_ascii=False).encode()
    else:
        top = ET.Element(root)
        for item in body if isinstance(body, list) else [body]:
            _fill(ET.SubElement(top, member) if isinstance(body, list) else top, item)
        content = ET.tostring(top, encoding="utf-8", xml_declaration=True)
    return Response(content, status_code=status, media_type=MEDIA_TYPES[fmt], headers=headers)


def errors(fmt: str, status: int, description: str, headers: dict | None = None) -> Response:
    """The spec's error answer: a list of {code, description} (<errors><error>…)."""
    return render(fmt, "errors", [{"code": status, "description": description}], member="error", status=status,
                  headers=headers)
