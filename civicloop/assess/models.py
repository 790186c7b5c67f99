"""Tables of assess/."""
from __future__ import annotations
