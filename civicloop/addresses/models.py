"""Tables of addresses/."""
from __future__ import annotations
