"""Answers a browser may keep: an ETag naming the version, 304 when the client already has
it (If-None-Match), and the gzip copy when the client takes it and it is smaller."""
from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import Response


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def not_modified(request: Request, etag: str, headers: dict) -> Response | None:
    """The 304 when the client has this version, else None."""
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers={**headers, "ETag": etag})
    return None


def send(request: Request, body: bytes, *, etag: str, media_type: str, headers: dict,
         gzipped: bytes | None = None) -> Response:
    headers = {**headers, "ETag": etag, **({"Vary": "Accept-Encoding"} if gzipped is not None else {})}
    unchanged = not_modified(request, etag, headers)
    if unchanged is not None:
        return unchanged
    if gzipped is not None and "gzip" in request.headers.get("accept-encoding", "") and len(gzipped) < len(body):
        return Response(gzipped, media_type=media_type, headers={**headers, "Content-Encoding": "gzip"})
    return Response(body, media_type=media_type, headers=headers)
