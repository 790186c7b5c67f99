"""HTTP endpoints of reports/: a work report read into targets, 实事 commitments, figures
and its glossary. Reading touches no table; it needs a staff role that plans or assesses."""
from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, TypeVar

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from civicloop.api.deps import allowed
from civicloop.assess.views import read_figures
from civicloop.errors import InvalidInput, UnsupportedType
from civicloop.reports import annual, service
from civicloop.reports.compare import compare
from civicloop.reports.reader import read, read_bytes
from civicloop.reports.reading import ReportReading
from civicloop.reports.schemas import (
    AnnualDraftOut,
    CompareIn,
    ComparisonOut,
    ReadIn,
    ReadingOut,
)
from civicloop.reports.text import decode, looks_like_chinese_text

router = APIRouter(tags=["reports"])
ModelT = TypeVar("ModelT", bound=BaseModel)
ReportReader = allowed("reports.read")

_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": ReadIn.model_json_schema()},
    "text/plain": {"schema": {"type": "string", "description": "the report's bytes (UTF-8, UTF-16 or GB18030)"}},
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        "file": {"type": "string", "format": "binary", "description": "a report file (UTF-8, UTF-16 or GB18030)"},
        "text": {"type": "string", "description": "or the report's text"}}}}}}}


async def _body(request: Request) -> bytes:
    """The body, refused with 413 as soon as it passes the cap (before it is all read when
    the client says its length)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit():
        service.check_size(int(declared), "body")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        service.check_size(size, "body")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/reports/read", response_model=ReadingOut, openapi_extra=_BODY,
             summary="Read a government work report (staff who plan or assess)")
async def read_report(request: Request, principal: ReportReader) -> ReadingOut:
    """The report as JSON `{"text": …}`, as a `text/plain` body, or as a multipart `file`
    (or `text`) field. Every item carries its sentence with offsets into the text sent
    (for bytes: into the decoded text). Empty, binary or undecodable input is refused
    (422/415) naming the field; more than 4 MB is refused with 413."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await _body(request)
    if content_type in ("application/json", ""):
        reading = read(_checked_text(_json(ReadIn, raw).text, "text"))
    elif content_type == "text/plain":
        reading = read_bytes(raw, "body")
    elif content_type == "multipart/form-data":
        reading = await _read_form(request, raw)
    else:
        raise UnsupportedType("content-type", f"send application/json, text/plain or multipart/form-data, "
                                              f"not {content_type!r}")
    return ReadingOut.model_validate(asdict(reading))


def _checked_text(text: str, field: str) -> str:
    if not text.strip():
        raise InvalidInput(field, "is empty")
    if not looks_like_chinese_text(text):
        raise InvalidInput(field, "is not the Chinese text of a report (control characters, or too little Chinese)")
    return text


async def _form(request: Request, raw: bytes, files: int) -> FormData:
    async def replay():
        yield raw
        yield b""

    try:
        return await MultiPartParser(request.headers, replay(), max_files=files, max_fields=5,
                                     max_part_size=service.MAX_REPORT_BYTES).parse()
    except MultiPartException as exc:
        raise InvalidInput("body", f"not a readable multipart form: {exc}") from None


def _json(model: type[ModelT], raw: bytes) -> ModelT:
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidInput(".".join(map(str, first["loc"])) or "body", first["msg"]) from None


async def _read_form(request: Request, raw: bytes) -> ReportReading:
    form = await _form(request, raw, files=1)
    upload, text = form.get("file"), form.get("text")
    if isinstance(upload, UploadFile):
        return read_bytes(await upload.read(), upload.filename or "file")
    if isinstance(text, str):
        return read(_checked_text(text, "text"))
    raise InvalidInput("file", "send the report as a 'file' part (or a 'text' field)")


_COMPARE_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": CompareIn.model_json_schema()},
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        name: {"type": "string", "format": "binary", "description": f"{what} (a file, UTF-8, UTF-16 or GB18030, "
                                                                    "or its text)"}
        for name, what in (("this_year", "the report that set the targets"),
                           ("next_year", "the next year's report"))}}}}}}


@router.post("/reports/compare", response_model=ComparisonOut, openapi_extra=_COMPARE_BODY,
             summary="A year's targets and 实事 against the next year's report (staff who plan or assess)")
async def compare_reports(request: Request, principal: ReportReader) -> ComparisonOut:
    """Both reports as JSON `{"this_year": …, "next_year": …}` texts, or as multipart parts
    of those names (files or text). Each target is judged against the next report's achieved
    figure, each 实事 against the sentence of its review that speaks of it; a doubtful pair
    (the same report twice, two districts, years that do not follow) is compared with warnings."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await _body(request)
    if content_type in ("application/json", ""):
        body = _json(CompareIn, raw)
        this_text, next_text = _checked_text(body.this_year, "this_year"), _checked_text(body.next_year, "next_year")
    elif content_type == "multipart/form-data":
        this_text, next_text = await _form_pair(request, raw)
    else:
        raise UnsupportedType("content-type", f"send application/json or multipart/form-data, not {content_type!r}")
    made = compare(read(this_text), read(next_text), next_text, same_text=this_text == next_text)
    return ComparisonOut.model_validate(made.to_dict())


async def _form_pair(request: Request, raw: bytes) -> tuple[str, str]:
    form = await _form(request, raw, files=2)
    texts = []
    for name in ("this_year", "next_year"):
        part = form.get(name)
        if isinstance(part, UploadFile):
            texts.append(decode(await part.read(), name))
        elif isinstance(part, str):
            texts.append(_checked_text(part, name))
        else:
            raise InvalidInput(name, "send the report as a file part or a text field of this name")
    return texts[0], texts[1]


@router.get("/reports/annual", response_model=AnnualDraftOut,
            summary="The next report's review section drafted from the data (leaders, assessors, admins)")
def annual_draft(request: Request, principal: ReportReader, year: Annotated[int, Query(ge=2000, le=2100)],
                 district_code: Annotated[str | None, Query(min_length=1, max_length=12,
                                                            description="default: the database's only district")]
                 = None) -> AnnualDraftOut:
    """Targets met or missed and 实事 done as tracked through `year` (commitments/), and the
    year's case figures (assess/) — every number from the database; what it does not hold is
    said plainly."""
    with read_figures(request) as session:
        made = annual.draft(session, district_code, year)
        return AnnualDraftOut.model_validate(made.to_dict())
