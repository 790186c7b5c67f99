"""Signing in and out, the caller's own account, and API keys for machine clients."""
from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from civicloop.api.deps import CurrentPrincipal, KeyAdmin, read, write
from civicloop.api.schemas import ApiModel
from civicloop.auth import service
from civicloop.auth.models import ApiToken
from civicloop.errors import NotFound, Unauthorized
from civicloop.settings import local_now

router = APIRouter(tags=["auth"])
SIGN_IN_FAILURES = 20  # failed sign-ins allowed per client address and minute: slows password guessing


class TokenOut(ApiModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: dt.datetime | None
    username: str
    role: str


class Me(ApiModel):
    id: int
    username: str
    name: str
    role: str
    department_id: int | None
    grid_codes: list[str]
    token_id: int | None


class TokenInfo(ApiModel):
    id: int
    kind: str
    name: str | None
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


class ApiKeyIn(BaseModel):
    username: str = Field(min_length=1, max_length=64, description="the account the client acts as")
    name: str = Field(min_length=1, max_length=100, description="the client, e.g. fixmystreet")


class PasswordIn(BaseModel):
    current_password: str = Field(max_length=256)
    new_password: str = Field(min_length=service.PASSWORD_MIN, max_length=service.PASSWORD_MAX)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/auth/token", response_model=TokenOut, summary="Sign in (OAuth2 password form)")
async def sign_in(request: Request, username: Annotated[str, Form(max_length=64)],
                  password: Annotated[str, Form(max_length=256)]) -> TokenOut:
    """Send `username` and `password` as a form; the token lasts 12 hours unless revoked.
    After 20 failed attempts in a minute from one address, 429 until the minute is over."""
    key = "sign-in-failures:" + client_address(request)

    def run():
        with read(request) as session:
            service.check_rate(session, key, now=local_now(), limit=SIGN_IN_FAILURES, window_seconds=60)
        try:
            with write(request) as session:
                secret, token, user = service.sign_in(session, username, password, now=local_now())
                return TokenOut(access_token=secret, expires_at=token.expires_at, username=user.username,
                                role=user.role)
        except Unauthorized:
            with write(request) as session:
                service.hit(session, key, now=local_now(), limit=SIGN_IN_FAILURES, window_seconds=60)
            raise
    return await run_in_threadpool(run)


@router.get("/auth/me", response_model=Me, summary="Who the token belongs to")
def me(principal: CurrentPrincipal) -> Me:
    a = principal.actor
    return Me(id=a.user_id, username=principal.username, name=principal.name, role=a.role.value,
              department_id=a.department_id, grid_codes=sorted(a.grid_codes), token_id=principal.token_id)


@router.post("/auth/revoke", status_code=204, summary="Sign out: revoke the token in use")
def revoke_current(request: Request, principal: CurrentPrincipal) -> Response:
    with write(request) as session:
        service.revoke(session, principal.token_id, now=local_now())
    return Response(status_code=204)


@router.get("/auth/tokens", response_model=list[TokenInfo], summary="The caller's tokens (never their secrets)")
def my_tokens(request: Request, principal: CurrentPrincipal) -> list[TokenInfo]:
    with read(request) as session:
        return [TokenInfo.model_validate(t, from_attributes=True)
                for t in service.list_tokens(session, principal.actor.user_id)]


@router.delete("/auth/tokens/{token_id}", status_code=204, summary="Revoke a token (one's own; an admin any)")
def revoke_token(request: Request, token_id: int, principal: CurrentPrincipal) -> Response:
    with write(request) as session:
        token = session.get(ApiToken, token_id) if 1 <= token_id <= 2**31 - 1 else None
        mine = token is not None and token.user_id == principal.actor.user_id
        if token is None or not (mine or principal.actor.role.value == "admin"):
            raise NotFound("token", f"no token {token_id} of yours")
        service.revoke(session, token_id, now=local_now())
    return Response(status_code=204)


@router.post("/auth/password", status_code=204, summary="Change one's own password")
async def change_password(request: Request, body: PasswordIn, principal: CurrentPrincipal) -> Response:
    """Signs out everywhere: every token of the account is revoked, this one included."""
    def run():
        with write(request) as session:
            service.sign_in(session, principal.username, body.current_password, now=local_now())
            service.set_password(session, principal.actor.user_id, body.new_password)
    await run_in_threadpool(run)
    return Response(status_code=204)


@router.post("/auth/api-keys", status_code=201, response_model=TokenOut, summary="Issue an API key (admin)")
def create_api_key(request: Request, body: ApiKeyIn, principal: KeyAdmin) -> TokenOut:
    """For an Open311 client or a FixMyStreet instance; shown once, never again."""
    with write(request) as session:
        secret, token = service.create_api_key(session, body.username, name=body.name, now=local_now())
        user = session.get(service.User, token.user_id)
        return TokenOut(access_token=secret, token_type="api_key", expires_at=None, username=user.username,
                        role=user.role)
