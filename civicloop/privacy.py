"""Masking of reporters' personal data. Every output masks by default; only a caller
that has the right (the intake operator handling the call, an admin export) unmasks."""
from __future__ import annotations

import re

_PHONE_DIGITS = re.compile(r"\d")


def mask_phone(phone: str | None) -> str | None:
    """13812345678 → 138****5678; short numbers keep only their last two digits."""
    if not phone:
        return phone
    digits = _PHONE_DIGITS.findall(phone)
    if len(digits) >= 7:
        return "".join(digits[:3]) + "****" + "".join(digits[-4:])
    return "*" * max(len(digits) - 2, 1) + "".join(digits[-2:])


def mask_name(name: str | None) -> str | None:
    """张三 → 张*; 欧阳娜娜 → 欧***; Latin names keep the first letter."""
    if not name:
        return name
    return name[0] + "*" * max(len(name) - 1, 1)


_PHONE_IN_TEXT = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def mask_text(text: str | None) -> str | None:
    """Mobile numbers written inside free text (notes, bodies) are masked too."""
    if not text:
        return text
    return _PHONE_IN_TEXT.sub(r"\1****\2", text)
