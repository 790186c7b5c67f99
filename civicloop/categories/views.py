"""HTTP endpoints of categories: the taxonomy as a list or a tree, one category with the
limits its cases get and where each comes from, and the admin's changes to limits."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy.orm import Session

from civicloop.api.deps import Editor, Reader, read, write
from civicloop.categories import service
from civicloop.categories.models import Category
from civicloop.categories.schemas import (
    CategoryDetail,
    CategoryNode,
    CategoryOut,
    EffectiveLimit,
    LimitsIn,
    OwnLimits,
    Source,
)

router = APIRouter(tags=["categories"])
CategoryRef = Annotated[str, Path(min_length=1, max_length=100, description="the category's code (or its name)")]


def category_out(session: Session, c: Category) -> CategoryOut:
    return CategoryOut(id=c.id, code=c.code, name=c.name, level=c.level, parent_id=c.parent_id,
                       path=service.path_of(session, c), active=c.active,
                       limits=OwnLimits(**{f: getattr(c, f) for f in service.LIMIT_FIELDS}))


def category_detail(session: Session, c: Category) -> CategoryDetail:
    explained = service.explain_limits(session, c.id)

    def limit(attr: str) -> EffectiveLimit:
        source = explained.sources[attr]
        return EffectiveLimit(value=getattr(explained.limits, attr), source=Source(
            category_id=source.id if source else None, code=source.code if source else None,
            name=source.name if source else None, default=source is None))

    return CategoryDetail(**category_out(session, c).model_dump(),
                          effective={attr: limit(attr) for attr in service.LIMITS_ATTR.values()})


@router.get("/categories", response_model=list[CategoryOut], summary="Categories (flat, in tree order)")
def list_categories(
    request: Request, principal: Reader,
    level: Annotated[int | None, Query(ge=1, le=9)] = None,
    under: Annotated[str | None, Query(max_length=200, description="a category (code, path or name): it and "
                                                                   "everything below it")] = None,
) -> list[CategoryOut]:
    """In code order, which lists the tree depth-first; each with the limits set on it."""
    with read(request) as session:
        return [category_out(session, c) for c in service.list_categories(session, level=level, under=under)]


@router.get("/categories/tree", response_model=list[CategoryNode], summary="The category tree")
def category_tree(request: Request, principal: Reader) -> list[CategoryNode]:
    """The top-level categories with their sub-categories nested."""
    with read(request) as session:
        rows = service.list_categories(session)
    nodes = {c.id: CategoryNode(id=c.id, code=c.code, name=c.name, level=c.level) for c in rows}
    top = []
    for c in rows:  # code order: a parent comes before its children
        (nodes[c.parent_id].children if c.parent_id in nodes else top).append(nodes[c.id])
    return top


@router.get("/categories/{ref}", response_model=CategoryDetail, summary="One category with its effective limits")
def get_category(request: Request, ref: CategoryRef, principal: Reader) -> CategoryDetail:
    """Each limit a case of this category gets, with the category it is inherited from
    (itself, an ancestor) or `default: true`."""
    with read(request) as session:
        return category_detail(session, service.find_category(session, ref))


def _set(request: Request, ref: str, fields: dict) -> CategoryDetail:
    with write(request) as session:
        category = service.set_limits(session, ref, **fields)
        return category_detail(session, category)


@router.put("/categories/{ref}/limits", response_model=CategoryDetail, summary="Set a category's limits (admin)")
def put_limits(request: Request, ref: CategoryRef, body: LimitsIn, principal: Editor) -> CategoryDetail:
    """Replaces all five limits of the category; an omitted or null one is inherited."""
    return _set(request, ref, body.model_dump())


@router.patch("/categories/{ref}/limits", response_model=CategoryDetail, summary="Change some limits (admin)")
def patch_limits(request: Request, ref: CategoryRef, body: LimitsIn, principal: Editor) -> CategoryDetail:
    """Only the limits given change; null clears one so that it is inherited again."""
    return _set(request, ref, body.model_dump(exclude_unset=True))
