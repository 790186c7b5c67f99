"""Domain errors. Each names the field at fault and what was wrong; the CLI and the
HTTP layer turn them into messages and status codes in one place each."""
from __future__ import annotations


class CivicloopError(Exception):
    status = 400
    title = "bad request"

    def __init__(self, field: str, detail: str, **extra):
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.detail = detail
        self.extra = extra


class InvalidInput(CivicloopError):
    status = 422
    title = "invalid input"


class TooLarge(InvalidInput):
    status = 413
    title = "too large"


class UnsupportedType(InvalidInput):
    status = 415
    title = "unsupported media type"


class NotFound(CivicloopError):
    status = 404
    title = "not found"


class Unauthorized(CivicloopError):
    """No valid credentials: sign in first (HTTP 401)."""
    status = 401
    title = "unauthorized"


class RateLimited(CivicloopError):
    status = 429
    title = "too many requests"


class Forbidden(CivicloopError):
    status = 403
    title = "forbidden"


class Conflict(CivicloopError):
    """A lifecycle action refused in the current state, or lost to a concurrent one."""
    status = 409
    title = "conflict"

    def __init__(self, field: str, detail: str, *, state: str | None = None,
                 allowed_actions: tuple[str, ...] = (), **extra):
        super().__init__(field, detail, state=state, allowed_actions=list(allowed_actions), **extra)
        self.state = state
        self.allowed_actions = allowed_actions


class CalendarUnknown(CivicloopError):
    """The official calendar does not cover a date and no admin override does."""
    status = 409
    title = "calendar unknown"
