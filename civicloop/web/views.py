"""The pages and their static files, at the root: the staff console (/), the grid worker's
mobile page (/m), the citizen portal (/portal). The pages are plain HTML and ES modules
that work over the HTTP API; nothing here reads the database. Kept out of the OpenAPI
document: they are not part of the API."""
from __future__ import annotations

import gzip
import json
import mimetypes
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request, Response

from civicloop.api.conditional import etag_of, send
from civicloop.auth.policy import INTAKE_CHANNELS
from civicloop.cases.lifecycle import RULES, STATE_LABELS, Rating
from civicloop.cases.models import CHANNELS
from civicloop.demo.cli import EVENT_LABELS
from civicloop.departments.service import KINDS
from civicloop.errors import NotFound
from civicloop.settings import node_modules_dirs

router = APIRouter(include_in_schema=False)
STATIC_DIR = Path(__file__).resolve().parent / "static"

# Files of npm packages the pages load, by the name they are served under at /static/vendor/.
VENDOR = {
    "echarts.min.js": "echarts/dist/echarts.min.js",
}
PAGES = {"/": "console.html", "/m": "mobile.html", "/portal": "portal.html"}
ROLE_LABELS = {
    "admin": "管理员", "operator": "受理员", "dispatcher": "派遣员", "handler": "承办单位",
    "grid_worker": "网格员", "supervisor": "督办/领导", "assessor": "考评员", "citizen": "市民",
}
RATING_LABELS = {Rating.SATISFIED: "满意", Rating.BASICALLY_SATISFIED: "基本满意", Rating.DISSATISFIED: "不满意"}
# Pages change with the code: the browser asks again each time (304 when unchanged).
NO_STALE = {"Cache-Control": "no-cache"}


LABELS = "js/labels.js"  # made from the lifecycle (labels_module), not a file
_ENTRY = re.compile(r'<script type="module" src="/static/(js/[^"]+)"')
_IMPORT = re.compile(r'(?:\bfrom|\bimport)\s*\(?\s*"(\.{1,2}/[^"]+\.js)"')


@lru_cache(maxsize=None)
def preload_links(name: str) -> str:
    """A `Link` header naming every module the page may load (its entry module's imports, static
    and dynamic, followed through): the browser fetches them at once instead of one import level
    after another, which cost a round trip per level."""
    found: list[str] = []
    todo = _ENTRY.findall((STATIC_DIR / name).read_text(encoding="utf-8"))
    while todo:
        path = os.path.normpath(todo.pop())
        source = STATIC_DIR / path
        if path in found or not (source.is_file() or path == LABELS):
            continue
        found.append(path)
        if source.is_file():
            todo += [f"{Path(path).parent}/{relative}" for relative in _IMPORT.findall(source.read_text("utf-8"))]
    return ", ".join(f"</static/{path}>; rel=modulepreload" for path in found)


def _page(name: str):
    async def page(request: Request) -> Response:
        return _send(request, STATIC_DIR / name, {**NO_STALE, "Link": preload_links(name)}, "text/html; charset=utf-8")
    return page


for _path, _name in PAGES.items():
    router.add_api_route(_path, _page(_name), methods=["GET"])


@lru_cache(maxsize=1)
def labels_module() -> str:
    """The lifecycle's words for the pages, made from the rules themselves so the two
    never disagree: states, actions with what each needs, channels, roles, ratings, department kinds, each role's intake channels."""
    actions = {rule.action: {"label": rule.label,
                             "needs": [g.__name__.removeprefix("needs_") for g in rule.guards
                                       if g.__name__.startswith("needs_")]}
               for rule in RULES}
    labels = {"states": {s.value: label for s, label in STATE_LABELS.items()}, "actions": actions,
              "events": EVENT_LABELS, "channels": CHANNELS, "roles": ROLE_LABELS,
              "ratings": {r.value: label for r, label in RATING_LABELS.items()},
              "departmentKinds": KINDS,
              "intakeChannels": {role.value: list(channels) for role, channels in INTAKE_CHANNELS.items()}}
    return "// Made by civicloop/web/views.py from the lifecycle's rules.\n" + "".join(
        f"export const {name} = {json.dumps(value, ensure_ascii=False)};\n" for name, value in labels.items())


@router.get("/static/" + LABELS)
async def labels() -> Response:
    return Response(labels_module(), media_type="text/javascript; charset=utf-8", headers=NO_STALE)


@dataclass(frozen=True)
class _Kept:
    body: bytes
    gzipped: bytes
    etag: str


@lru_cache(maxsize=256)
def _kept(path: Path, mtime_ns: int, size: int) -> _Kept:
    body = path.read_bytes()
    return _Kept(body, gzip.compress(body, compresslevel=9, mtime=0), etag_of(body))


def _send(request: Request, path: Path, headers: dict, media_type: str | None = None) -> Response:
    """A file from memory, read and compressed once per version of it (a page's dozen small
    files came slowly through threads one by one on a busy server); 304 when the browser has it."""
    stat = path.stat()
    kept = _kept(path, stat.st_mtime_ns, stat.st_size)
    return send(request, kept.body, etag=kept.etag, headers=headers, gzipped=kept.gzipped,
                media_type=media_type or mimetypes.guess_type(path.name)[0] or "application/octet-stream")


@router.get("/static/vendor/{name}")
async def vendor(name: str, request: Request) -> Response:
    if name in VENDOR:
        for base in node_modules_dirs():
            path = base / VENDOR[name]
            if path.is_file():
                return _send(request, path, {"Cache-Control": "public, max-age=86400"},
                             "text/javascript; charset=utf-8")
    raise NotFound("name", f"no vendor file {name!r} (is `make install` done?)")


@router.get("/static/{path:path}")
async def static(path: str, request: Request) -> Response:
    target = (STATIC_DIR / path).resolve()
    if not target.is_file() or STATIC_DIR not in target.parents:
        raise NotFound("path", f"no static file {path!r}")
    return _send(request, target, NO_STALE)
