"""What views depend on: the database, the clock, and who is calling.

Views open their own transactions (`write`/`read`) so that a success answer is only ever
sent after its transaction committed — the crash test holds the server to that."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from civicloop.auth import service as auth
from civicloop.auth.policy import may
from civicloop.db import transaction
from civicloop.errors import Forbidden, Unauthorized
from civicloop.settings import local_now

bearer = HTTPBearer(auto_error=False, description="A token from POST /api/v1/auth/token")


def write(request: Request):
    """A read-write transaction: committed before the view returns, rolled back on error."""
    return transaction(request.app.state.engine)


def read(request: Request):
    """A read-only transaction (on SQLite it takes no write lock)."""
    return transaction(request.app.state.read_engine)


def _principal(request: Request, credentials: HTTPAuthorizationCredentials | None) -> auth.Principal | None:
    if credentials is None:
        return None
    with read(request) as session:
        principal = auth.authenticate(session, credentials.credentials, now=local_now(), kind="session")
    request.state.principal = principal
    return principal


def optional_principal(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None,
                                                                 Depends(bearer)] = None) -> auth.Principal | None:
    return _principal(request, credentials)


def current_principal(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None,
                                                                Depends(bearer)] = None) -> auth.Principal:
    principal = _principal(request, credentials)
    if principal is None:
        raise Unauthorized("token", "sign in first: POST /api/v1/auth/token, then send 'Authorization: Bearer <token>'")
    return principal


CurrentPrincipal = Annotated[auth.Principal, Depends(current_principal)]
OptionalPrincipal = Annotated[auth.Principal | None, Depends(optional_principal)]


def require(principal: auth.Principal, permission: str) -> None:
    if not may(principal.actor, permission):
        raise Forbidden("role", f"a {principal.actor.role.value} may not do this ({permission})")


def allowed(permission: str):
    """The caller as a dependency, when its role has `permission` (auth/policy.py). FastAPI
    runs dependencies before it validates parameters and bodies, so a caller without the
    right is stopped with 401/403 and learns nothing from a 422."""
    def check(principal: CurrentPrincipal) -> auth.Principal:
        require(principal, permission)
        return principal
    return Annotated[auth.Principal, Depends(check)]


Reader = allowed("reference.read")
Editor = allowed("reference.write")
UserAdmin = allowed("users.write")
CalendarAdmin = allowed("calendar.write")
KeyAdmin = allowed("api_keys.write")
