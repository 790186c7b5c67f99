"""HTTP endpoints of intake/: classify a message for the operator's screen, and the
suggestion the model made for a case that came in without a category."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from civicloop.api.deps import CurrentPrincipal, allowed, read, require
from civicloop.cases.schemas import Ref
from civicloop.cases.views import _ref_category, only_district, visible_case
from civicloop.intake import service
from civicloop.intake.schemas import (
    Alternative,
    CaseSuggestion,
    ClassifyIn,
    ClassifyOut,
    SuggestionOut,
)

router = APIRouter(tags=["intake"])
IntakeStaff = allowed("intake.classify")


def _alternative(c: service.Choice) -> Alternative:
    return Alternative(label=c.label, confidence=round(c.confidence, 4),
                       category=Ref(id=c.category.id, code=c.category.code, name=c.category.name) if c.category else None,
                       department=Ref(id=c.department.id, code=c.department.code, name=c.department.name)
                       if c.department else None, department_note=c.department_note)


@router.post("/intake/classify", response_model=ClassifyOut, summary="Classify a message (分类建议)")
async def classify(request: Request, body: ClassifyIn, principal: IntakeStaff) -> ClassifyOut:
    """The top three first-level categories with a calibrated confidence, and the department
    the district's routing rules give each. Text in another language is flagged
    `not_chinese` and never counts as applicable."""
    def run() -> ClassifyOut:
        with read(request) as session:
            district = body.district_code or only_district(session)
            result = service.classify(session, body.title, body.text, district_code=district)
        p = result.prediction
        return ClassifyOut(label=p.label, confidence=round(p.confidence, 4),
                           alternatives=[_alternative(c) for c in result.choices], low_confidence=p.low_confidence,
                           not_chinese=p.not_chinese, truncated=p.truncated, applicable=p.applicable,
                           threshold=round(service.require_model().threshold, 4), model_version=result.model_version)

    return await run_in_threadpool(run)


@router.get("/cases/{ref}/suggestion", response_model=CaseSuggestion, summary="The model's suggestion for a case")
def case_suggestion(request: Request, ref: str, principal: CurrentPrincipal) -> CaseSuggestion:
    """What the classifier said when the case came in without a category — applied or left
    to the operator — with the department each alternative would go to at the case's place."""
    with read(request) as session:
        case = visible_case(session, principal, ref)  # out of scope: 404 whoever asks, as for the case
        require(principal, "intake.classify")
        found = service.suggestion_for(session, case)
        suggestion = None
        if found is not None:
            kept, choices = found
            suggestion = SuggestionOut(label=kept.label, confidence=kept.confidence,
                                       alternatives=[_alternative(c) for c in choices], applied=kept.applied,
                                       low_confidence=kept.low_confidence, not_chinese=kept.not_chinese,
                                       model_version=kept.model_version, created_at=kept.created_at)
        return CaseSuggestion(case_id=case.id, number=case.number,
                              category=_ref_category(session, case.category_id), suggestion=suggestion)
