"""Open311 GeoReport v2 endpoints, with mySociety's servicerequestupdates for FixMyStreet.

The format is the path's extension (.json or .xml). Errors are the spec's list of
{code, description} in that format — not the problem details of /api/v1 — with 400 for bad
input, 403 for a missing or wrong api_key, 404 for what does not exist, 429 past the
intake limit. Writes need an api_key (POST /api/v1/auth/api-keys); reads are public.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Callable, Literal

from fastapi import APIRouter, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from civicloop.api.deps import read, write
from civicloop.auth.service import Principal, authenticate, hit
from civicloop.auth.views import client_address
from civicloop.errors import (
    CivicloopError,
    Forbidden,
    InvalidInput,
    NotFound,
    RateLimited,
    Unauthorized,
)
from civicloop.open311 import formats, service
from civicloop.settings import get_settings, local_now

FIELD_MAX = 4000  # the spec's limit of a description; no argument may be longer


def _status(exc: CivicloopError) -> int:
    """The spec's statuses: a bad key is 403 (there is no sign-in to ask for), bad input 400."""
    if isinstance(exc, (Unauthorized, Forbidden)):
        return 403
    if isinstance(exc, (NotFound, RateLimited)):
        return exc.status
    return 400


class Open311Route(APIRoute):
    """Turns every error of an Open311 endpoint into the spec's error list, in the format
    the client asked for."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            fmt = request.path_params.get("fmt")
            if fmt is not None and fmt not in formats.MEDIA_TYPES:
                return formats.errors("json", 404, f"format: .{fmt} is not offered; use .json or .xml")
            fmt = fmt or "json"
            try:
                return await handler(request)
            except CivicloopError as exc:
                retry = exc.extra.get("retry_after") if isinstance(exc, RateLimited) else None
                return formats.errors(fmt, _status(exc), f"{exc.field}: {exc.detail}",
                                      headers={"Retry-After": str(retry)} if retry else None)
            except RequestValidationError as exc:
                first = exc.errors()[0] if exc.errors() else {}
                return formats.errors(fmt, 400, f"{first.get('loc', ['input'])[-1]}: {first.get('msg')}")

        return answer


router = APIRouter(tags=["open311"], route_class=Open311Route)
Format = Annotated[Literal["json", "xml"], Path(description="the answer's format")]


# ------------------------------------------------------------------ arguments

def _argument(values, name: str) -> str | None:
    """An argument's value; empty counts as not given, as the spec says of optional ones."""
    value = values.get(name)
    if isinstance(value, UploadFile):
        raise InvalidInput(name, "a file where a value was expected; send media as media_url")
    if value is None or not value.strip():
        return None
    if len(value) > FIELD_MAX:
        raise InvalidInput(name, f"at most {FIELD_MAX} characters")
    return value.strip()


def _number(values, name: str) -> float | None:
    text = _argument(values, name)
    try:
        return float(text) if text is not None else None
    except ValueError:
        raise InvalidInput(name, f"{text!r} is not a number") from None


def _listed(values, name: str) -> tuple[str, ...]:
    """A comma-separated argument, which may also be given several times."""
    return tuple(part.strip() for value in values.getlist(name) for part in value.split(",") if part.strip())


def _date(values, name: str) -> dt.datetime | None:
    text = _argument(values, name)
    return formats.parse_w3c(text, name) if text is not None else None


async def _arguments(request: Request) -> dict:
    """A POST's arguments: a form (the spec's), or a JSON object; the query string too."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    arguments = dict(request.query_params)
    if content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise InvalidInput("body", "not valid JSON") from None
        if not isinstance(body, dict):
            raise InvalidInput("body", "a JSON object of the arguments is expected")
        return arguments | {k: "" if v is None else str(v) for k, v in body.items()}
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data", ""):
        try:
            form = await request.form(max_files=0, max_fields=100)
        except Exception as exc:  # noqa: BLE001 — any unreadable body is the client's error
            raise InvalidInput("body", f"not a readable form: {exc}") from None
        return arguments | dict(form)
    raise InvalidInput("content-type", f"send application/x-www-form-urlencoded, not {content_type!r}")


def _required(arguments: dict, name: str) -> str:
    value = _argument(arguments, name)
    if value is None:
        raise InvalidInput(name, "required")
    return value


async def _write(request: Request, act: Callable[[Session, Principal, str, dict], dict]) -> dict:
    """A write: its arguments, the client's rate limit (counted before the key is even looked
    at, so that guessing keys is as limited as sending reports), then `act` as the key's
    account in one transaction."""
    arguments = await _arguments(request)

    def run() -> dict:
        settings = get_settings()
        with write(request) as session:
            hit(session, "open311:" + client_address(request), now=local_now(), limit=settings.public_rate_limit,
                window_seconds=settings.public_rate_window_seconds)
        with write(request) as session:
            key = _argument(arguments, "api_key")
            if key is None:
                raise Unauthorized("api_key", "required to write; ask the district for one")
            principal = authenticate(session, key, now=local_now(), kind="api_key")
            return act(session, principal, service.district(session, _argument(arguments, "jurisdiction_id")),
                       arguments)

    return await run_in_threadpool(run)


def _base_url(request: Request) -> str:
    return str(request.base_url)


# ------------------------------------------------------------------ discovery and services

@router.get("/discovery.{fmt}", summary="Service discovery")
def discovery(request: Request, fmt: Format) -> Response:
    body = {"changeset": service.CHANGESET, "contact": "the district's 12345 hotline",
            "key_service": "an administrator issues keys: POST /api/v1/auth/api-keys",
            "endpoints": [{"specification": service.SPECIFICATION, "url": _base_url(request) + "open311/v2",
                           "changeset": service.CHANGESET, "type": "production",
                           "formats": ["application/json", "text/xml"]}]}
    return formats.render(fmt, "discovery", body)


@router.get("/services.{fmt}", summary="The services: the categories of matters reported")
def list_services(request: Request, fmt: Format) -> Response:
    with read(request) as session:
        service.district(session, _argument(request.query_params, "jurisdiction_id"))
        return formats.render(fmt, "services", service.services(session), member="service")


@router.get("/services/{service_code}.{fmt}", summary="A service's definition")
def service_definition(request: Request, service_code: str, fmt: Format) -> Response:
    with read(request) as session:
        service.district(session, _argument(request.query_params, "jurisdiction_id"))
        return formats.render(fmt, "service_definition", service.service_definition(session, service_code))


# ------------------------------------------------------------------ requests

@router.post("/requests.{fmt}", summary="Report a matter (needs an api_key)")
async def create_request(request: Request, fmt: Format) -> Response:
    """Answers the new request's service_request_id (its case number) at once, and a token
    for clients that look requests up by token."""
    def run(session: Session, principal: Principal, district: str, arguments: dict) -> dict:
        new = service.NewRequest(
            service_code=_required(arguments, "service_code"), lat=_number(arguments, "lat"),
            long=_number(arguments, "long"),
            **{name: _argument(arguments, name) for name in ("address_string", "address_id", "first_name",
                                                             "last_name", "phone", "description", "media_url")})
        case, token = service.create_request(session, district, new, actor=principal.actor, now=local_now())
        return {"service_request_id": case.number, "token": token, "service_notice": service.service_notice(case),
                "account_id": _argument(arguments, "account_id")}

    return formats.render(fmt, "service_requests", [await _write(request, run)])


@router.get("/requests.{fmt}", summary="Find requests")
def find_requests(request: Request, fmt: Format) -> Response:
    """By service_request_id (comma list; overrides the rest), or by service_code, status
    (open, closed) and start_date/end_date (the last 90 days unless told; at most 1000)."""
    params = request.query_params
    statuses = tuple(s.lower() for s in _listed(params, "status"))
    if set(statuses) - {"open", "closed"}:
        raise InvalidInput("status", "open or closed (comma separated)")
    query = service.Query(ids=_listed(params, "service_request_id"), service_codes=_listed(params, "service_code"),
                          statuses=statuses, start=_date(params, "start_date"), end=_date(params, "end_date"))
    with read(request) as session:
        district = service.district(session, _argument(params, "jurisdiction_id"))
        found = service.find_requests(session, district, query, now=local_now(), base_url=_base_url(request))
    return formats.render(fmt, "service_requests", found)


@router.get("/requests/{service_request_id}.{fmt}", summary="One request")
def get_request(request: Request, service_request_id: str, fmt: Format) -> Response:
    with read(request) as session:
        district = service.district(session, _argument(request.query_params, "jurisdiction_id"))
        found = service.get_request(session, district, service_request_id, base_url=_base_url(request))
    return formats.render(fmt, "service_requests", [found])


@router.get("/tokens/{token}.{fmt}", summary="The request a token stands for")
def get_token(request: Request, token: str, fmt: Format) -> Response:
    with read(request) as session:
        district = service.district(session, _argument(request.query_params, "jurisdiction_id"))
        return formats.render(fmt, "service_requests", [service.by_token(session, district, token)])


# ------------------------------------------------------------------ updates (mySociety's extension)

@router.post("/servicerequestupdates.{fmt}", summary="A reporter's update on a request (needs an api_key)")
async def post_update(request: Request, fmt: Format) -> Response:
    """Kept in the case's history as a comment (补充说明), with the status the client reports."""
    def run(session: Session, principal: Principal, district: str, arguments: dict) -> dict:
        update_id = service.add_update(session, district, _required(arguments, "service_request_id"),
                                       status=_argument(arguments, "status"),
                                       description=_argument(arguments, "description") or "",
                                       media_url=_argument(arguments, "media_url"), actor=principal.actor,
                                       now=local_now())
        return {"update_id": str(update_id)}

    return formats.render(fmt, "service_request_updates", [await _write(request, run)], member="request_update")


@router.get("/servicerequestupdates.{fmt}", summary="Changes of state, for clients that poll")
def list_updates(request: Request, fmt: Format) -> Response:
    params = request.query_params
    start, end = _date(params, "start_date"), _date(params, "end_date")
    with read(request) as session:
        district = service.district(session, _argument(params, "jurisdiction_id"))
        found = service.updates(session, district, start, end, now=local_now(), base_url=_base_url(request))
    return formats.render(fmt, "service_request_updates", found, member="request_update")


@router.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
def unknown(request: Request, path: str) -> Response:
    """Anything else under /open311/v2 answers in the spec's error format too."""
    fmt = path.rpartition(".")[2]
    return formats.errors(fmt if fmt in formats.MEDIA_TYPES else "json", 404,
                          f"no such endpoint: {request.method} /open311/v2/{path}")
