"""HTTP endpoints of users: lists and one account for everyone who works cases; creating,
changing, disabling, password resets and signing out everywhere for admins.

A password hash is never given out. Staff phones are shown in full to admins only;
everyone else sees them masked (civicloop.privacy.mask_phone)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicloop.api.deps import (
    Reader,
    UserAdmin,
    read,
    write,
)
from civicloop.auth import service as auth
from civicloop.auth.service import Principal
from civicloop.cases.lifecycle import Role
from civicloop.departments.models import Department
from civicloop.errors import Forbidden, InvalidInput
from civicloop.privacy import mask_phone
from civicloop.regions.models import GridCell
from civicloop.users import service
from civicloop.users.models import User
from civicloop.users.schemas import (
    PasswordReset,
    Revoked,
    RoleName,
    UserDepartment,
    UserIn,
    UserOut,
    UserPatch,
)

router = APIRouter(tags=["users"])


Username = Annotated[str, Path(min_length=1, max_length=64)]


def users_out(session: Session, users: list[User], principal: Principal) -> list[UserOut]:
    ids = [u.id for u in users]
    grids: dict[int, list[str]] = {}
    if ids:
        for code, worker in session.execute(select(GridCell.code, GridCell.worker_id)
                                            .where(GridCell.worker_id.in_(ids)).order_by(GridCell.code)):
            grids.setdefault(worker, []).append(code)
    department_ids = {u.department_id for u in users if u.department_id is not None}
    departments = {d.id: UserDepartment(id=d.id, code=d.code, name=d.name) for d in session.scalars(
        select(Department).where(Department.id.in_(department_ids)))} if department_ids else {}
    full = principal.actor.role is Role.ADMIN
    return [UserOut(id=u.id, username=u.username, name=u.name, role=u.role,
                    department=departments.get(u.department_id), phone=u.phone if full else mask_phone(u.phone),
                    phone_masked=not full and bool(u.phone), active=u.active, grid_codes=grids.get(u.id, []))
            for u in users]


def user_out(session: Session, user: User, principal: Principal) -> UserOut:
    return users_out(session, [user], principal)[0]


@router.get("/users", response_model=list[UserOut], summary="Users")
def list_users(
    request: Request, principal: Reader,
    role: RoleName | None = None,
    department: Annotated[str | None, Query(max_length=100, description="a department's code")] = None,
    active: bool | None = None,
) -> list[UserOut]:
    """By username; phones are masked except for admins."""
    with read(request) as session:
        return users_out(session, service.list_users(session, role=role, department=department, active=active),
                         principal)


@router.get("/users/{username}", response_model=UserOut, summary="One user")
def get_user(request: Request, username: Username, principal: Reader) -> UserOut:
    with read(request) as session:
        return user_out(session, service.get_user(session, username), principal)


@router.post("/users", status_code=201, response_model=UserOut, summary="Add a user (admin)")
def create_user(request: Request, response: Response, body: UserIn, principal: UserAdmin) -> UserOut:
    """A handler must belong to a department; a username already taken is 409."""
    password_hash = auth.hash_password(body.password) if body.password is not None else None
    with write(request) as session:
        user = service.create_user(session, **body.model_dump(exclude={"password"}))
        user.password_hash = password_hash
        out = user_out(session, user, principal)
    response.headers["Location"] = f"/api/v1/users/{out.username}"
    return out


@router.patch("/users/{username}", response_model=UserOut, summary="Change a user (admin)")
def update_user(request: Request, username: Username, body: UserPatch, principal: UserAdmin) -> UserOut:
    """Name, role, department, phone, active. Disabling an account revokes its tokens;
    admins may not disable or demote themselves."""
    fields = body.model_dump(exclude_unset=True)
    for field in ("name", "role", "active"):
        if field in fields and fields[field] is None:
            raise InvalidInput(field, "may not be null")
    with write(request) as session:
        user = service.get_user(session, username)
        if user.id == principal.actor.user_id and (fields.get("active") is False
                                                   or fields.get("role", Role.ADMIN.value) != Role.ADMIN.value):
            raise Forbidden("active" if "active" in fields else "role",
                            "an admin may not disable or demote their own account")
        user = service.update_user(session, user.id, **fields)
        auth.forget_verified()  # a new role or department counts from the next request
        if fields.get("active") is False:
            auth.revoke_all(session, user.id, now=None)
        return user_out(session, user, principal)


@router.post("/users/{username}/password", status_code=204, summary="Set a user's password (admin)")
def reset_password(request: Request, username: Username, body: PasswordReset, principal: UserAdmin) -> Response:
    """Every token the user holds is revoked: the reset ends their sessions."""
    with write(request) as session:
        auth.set_password(session, service.get_user(session, username).id, body.password)
    return Response(status_code=204)


@router.delete("/users/{username}/tokens", response_model=Revoked, summary="Sign a user out everywhere (admin)")
def revoke_tokens(request: Request, username: Username, principal: UserAdmin) -> Revoked:
    """Revokes every live token and API key of the user."""
    with write(request) as session:
        return Revoked(revoked=auth.revoke_all(session, service.get_user(session, username).id, now=None))
