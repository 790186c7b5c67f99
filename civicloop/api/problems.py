"""Errors as RFC 9457 problem details (application/problem+json).

Every error names the field at fault (`field`) and what was expected (`detail`); a refused
lifecycle action also carries the case's current `state` and the `allowed_actions`.
Domain errors (errors.py) are the only source: the views raise them and this module
alone turns them into responses. Bad input never reaches a 500.
"""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from civicloop.errors import CivicloopError

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "tag:civicloop.org,2026:problem/"
log = logging.getLogger("civicloop.api")


def problem(request: Request, status: int, title: str, detail: str, *, field: str | None = None,
            errors: list[dict] | None = None, headers: dict | None = None, **extra) -> JSONResponse:
    body = {"type": TYPE_BASE + title.replace(" ", "-"), "title": title, "status": status, "detail": detail,
            "instance": request.url.path}
    if field is not None:
        body["field"] = field
    if errors:
        body["errors"] = errors
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _location(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "form")]
    return ".".join(parts) or str(loc[-1] if loc else "body")


def validation_errors(exc_errors) -> list[dict]:
    out = []
    for err in exc_errors:
        message = err.get("msg", "invalid")
        if err.get("type") == "missing":
            message = "is required"
        out.append({"field": _location(err.get("loc", ())), "detail": message})
    return out


def install(app: FastAPI) -> None:
    @app.exception_handler(CivicloopError)
    async def domain_error(request: Request, exc: CivicloopError):
        headers = {"WWW-Authenticate": 'Bearer realm="civicloop"'} if exc.status == 401 else None
        if exc.status == 429:
            headers = {"Retry-After": str(exc.extra.get("retry_after", 1))}
        extra = {k: v for k, v in exc.extra.items() if k != "retry_after"}
        return problem(request, exc.status, exc.title, exc.detail, field=exc.field, headers=headers, **extra)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        errors = validation_errors(exc.errors())
        first = errors[0] if errors else {"field": "body", "detail": "invalid"}
        return problem(request, 422, "invalid input", f"{first['field']}: {first['detail']}", field=first["field"],
                       errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        titles = {404: "not found", 405: "method not allowed", 401: "unauthorized", 403: "forbidden",
                  413: "too large", 415: "unsupported media type"}
        title = titles.get(exc.status_code, "error")
        detail = exc.detail if isinstance(exc.detail, str) else title
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no such endpoint: {request.method} {request.url.path}"
        return problem(request, exc.status_code, title, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(ClientDisconnect)
    async def client_left(request: Request, exc: ClientDisconnect):
        # The client hung up while sending its body: nothing will reach it, and nothing failed here.
        return Response(status_code=499)

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception):
        log.exception("unhandled error", extra={"request_id": getattr(request.state, "request_id", None)})
        return problem(request, 500, "server error", "an unexpected error; it has been logged with the request id")
