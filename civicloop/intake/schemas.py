"""What the intake endpoints take and give."""
from __future__ import annotations

import datetime as dt

from pydantic import Field

from civicloop.api.schemas import ApiModel
from civicloop.cases.schemas import Ref, Strict
from civicloop.intake.classifier import TEXT_CHARS
from civicloop.intake.service import TEXT_MAX


class ClassifyIn(Strict):
    """A message to classify. Only the first TEXT_CHARS characters of title and text are read."""
    title: str | None = Field(None, description=f"refused (413) over {TEXT_MAX} characters")
    text: str = Field(description=f"the message; only the first {TEXT_CHARS} characters of title and text are "
                                  f"read, and over {TEXT_MAX} characters it is refused (413)")
    district_code: str | None = Field(None, pattern=r"^\d{6}$",
                                      description="whose routing rules name the department (default: the only district)")


class Alternative(ApiModel):
    label: str = Field(description="the first-level category the model names")
    confidence: float = Field(description="calibrated: of messages given 0.9, about nine in ten are right")
    category: Ref | None = Field(description="that category in this district's taxonomy (none: it lacks it)")
    department: Ref | None = Field(description="the department the routing rules give for it")
    department_note: str | None = Field(description="why there is no department")


class ClassifyOut(ApiModel):
    label: str
    confidence: float
    alternatives: list[Alternative] = Field(description="the top three, best first (the label included)")
    low_confidence: bool = Field(description="below the model's threshold: the operator decides")
    not_chinese: bool = Field(description="mostly not Chinese: the model knows nothing of it; never filled in")
    truncated: bool = Field(description=f"only the first {TEXT_CHARS} characters were read")
    applicable: bool = Field(description="confident enough that intake fills it in without asking")
    threshold: float
    model_version: str


class SuggestionOut(ApiModel):
    """What the model said when the case came in without a category."""
    label: str
    confidence: float
    alternatives: list[Alternative] = Field(description="best first, each routed for the case's place")
    applied: bool = Field(description="whether the case got this category from it")
    low_confidence: bool
    not_chinese: bool
    model_version: str
    created_at: dt.datetime


class CaseSuggestion(ApiModel):
    case_id: int
    number: str
    category: Ref | None = Field(description="the case's category now")
    suggestion: SuggestionOut | None = Field(description="none: the case came with a category, or no model was there")
