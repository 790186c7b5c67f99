"""What the user endpoints take and give (pydantic). A password hash is never given out."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from civicloop.auth.service import PASSWORD_MAX, PASSWORD_MIN
from civicloop.cases.lifecycle import Role

RoleName = Literal[tuple(r.value for r in Role)]  # type: ignore[valid-type]
DepartmentRef = str | int  # a department's code, or its id


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserDepartment(BaseModel):
    id: int
    code: str
    name: str


class UserOut(BaseModel):
    id: int
    username: str
    name: str
    role: RoleName
    department: UserDepartment | None
    phone: str | None = Field(description="shown in full to admins only; masked (138****5678) for others")
    phone_masked: bool
    active: bool
    grid_codes: list[str] = Field(description="the grid cells a grid worker patrols (一格一员)")


class UserIn(Strict):
    username: str = Field(min_length=2, max_length=64, description="letters, digits, '.', '_' or '-'")
    name: str = Field(min_length=1, max_length=100)
    role: RoleName
    department: DepartmentRef | None = Field(None, description="code or id; required for a handler")
    phone: str | None = Field(None, max_length=32)
    password: str | None = Field(None, min_length=PASSWORD_MIN, max_length=PASSWORD_MAX,
                                 description="without one the account cannot sign in until an admin sets it")


class UserPatch(Strict):
    """Only the fields given change; `department: null` removes the department."""
    name: str | None = Field(None, min_length=1, max_length=100)
    role: RoleName | None = None
    department: DepartmentRef | None = None
    phone: str | None = Field(None, max_length=32)
    active: bool | None = Field(None, description="false: the account cannot sign in, and its tokens are revoked")


class PasswordReset(Strict):
    password: str = Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)


class Revoked(BaseModel):
    revoked: int = Field(description="how many live tokens were revoked")
