"""What the department and routing endpoints take and give (pydantic)."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from civicloop.departments.service import KINDS

Kind = Literal[tuple(KINDS)]  # type: ignore[valid-type]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DepartmentOut(BaseModel):
    id: int
    code: str
    name: str
    kind: Kind
    kind_label: str = Field(description="区直部门, 街道办事处, 社区居委会/村委会 or 其他单位")
    district_code: str
    region_code: str | None = Field(description="the street or community a street office or committee answers for")
    parent_id: int | None
    active: bool


class DepartmentIn(Strict):
    code: str = Field(min_length=1, max_length=40, description="letters, digits, '.', '_' or '-'")
    name: str = Field(min_length=1, max_length=100)
    kind: Kind
    district_code: str = Field(pattern=r"^\d{6}$")
    region_code: str | None = Field(None, max_length=12, description="required for street_office and community")
    parent: str | None = Field(None, max_length=40, description="code of the department above it")


class CategoryRef(BaseModel):
    id: int
    code: str
    name: str
    path: str


class DepartmentRef(BaseModel):
    id: int
    code: str
    name: str


class RuleOut(BaseModel):
    """category × region → department; a null category or region means any."""
    id: int
    category: CategoryRef | None
    region_code: str | None
    department: DepartmentRef
    note: str | None


class RuleIn(Strict):
    department: str = Field(min_length=1, max_length=100, description="the department's code")
    category: str | None = Field(None, max_length=200, description="a category's code, path or name; null: any")
    region_code: str | None = Field(None, pattern=r"^\d{6}(\d{3}(\d{3})?)?$",
                                    description="a district, street or community code; null: anywhere")
    note: str | None = Field(None, max_length=200)


class Candidate(BaseModel):
    rule_id: int
    department: DepartmentRef
    category_level: int = Field(description="0: the rule names no category")
    area: Literal["community", "street", "district", "any"]
    why: str


class Explanation(BaseModel):
    """Which department a matter of this category at this place goes to, and why: every
    matching rule, the winner first (deepest category, then smallest area)."""
    category: CategoryRef | None
    district_code: str
    street_code: str | None
    community_code: str | None
    grid_code: str | None
    department: DepartmentRef | None = Field(description="null: no rule matches")
    candidates: list[Candidate]
