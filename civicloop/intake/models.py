"""Tables of intake/."""
from __future__ import annotations
