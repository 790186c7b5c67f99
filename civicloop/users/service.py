"""People who act on cases, their roles, and the grid cells each grid worker patrols (一格一员)."""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicloop.cases.lifecycle import Actor, Role
from civicloop.departments.models import Department
from civicloop.departments.service import check_district_code, get_department
from civicloop.errors import Conflict, Forbidden, InvalidInput, NotFound
from civicloop.regions.models import GridCell
from civicloop.users.models import User

USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,63}")
PHONE = re.compile(r"\+?\d[\d -]{5,30}")
GRID_WORKER_PREFIX = "gw-"


def check_role(value: str | Role) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidInput("role", f"{value!r} is not a role; one of {', '.join(r.value for r in Role)}") from None


def create_user(session: Session, *, username: str, name: str, role: str | Role,
                department: int | str | None = None, phone: str | None = None) -> User:
    """A handler (承办单位) must belong to a department; for others it is optional."""
    username, name = (username or "").strip(), (name or "").strip()
    if not USERNAME.fullmatch(username):
        raise InvalidInput("username", f"{username!r}: 2–64 letters, digits, '.', '_' or '-', "
                                       "starting with a letter or digit")
    if not name or len(name) > 100:
        raise InvalidInput("name", "a name of 1–100 characters is required")
    role = check_role(role)
    phone = _check_phone(phone)
    if department is None and role is Role.HANDLER:
        raise InvalidInput("department", "a handler (承办单位) must belong to a department")
    department_id = get_department(session, department).id if department is not None else None
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict("username", f"a user '{username}' already exists")
    user = User(username=username, name=name, role=role.value, department_id=department_id, phone=phone,
                active=True)
    session.add(user)
    session.flush()
    return user


def _check_phone(phone: str | None) -> str | None:
    if phone is None or not phone.strip():
        return None
    phone = phone.strip()
    if not PHONE.fullmatch(phone):
        raise InvalidInput("phone", f"{phone!r} is not a phone number")
    return phone


UNSET = object()


def update_user(session: Session, ref: int | str, *, name: str | object = UNSET, role: str | Role | object = UNSET,
                department: int | str | None | object = UNSET, phone: str | None | object = UNSET,
                active: bool | object = UNSET) -> User:
    """Change what is given (UNSET: leave it). A handler keeps a department; a grid worker
    who patrols cells keeps the role until the cells have another worker."""
    user = get_user(session, ref)
    if name is not UNSET:
        name = (name or "").strip()
        if not name or len(name) > 100:
            raise InvalidInput("name", "a name of 1–100 characters is required")
        user.name = name
    if role is not UNSET:
        role = check_role(role)
        if role is not Role.GRID_WORKER and user.role == Role.GRID_WORKER.value and grids_of(session, user.id):
            raise Conflict("role", f"'{user.username}' patrols {len(grids_of(session, user.id))} grid cell(s); "
                                   "give them another worker first")
        user.role = role.value
    if department is not UNSET:
        user.department_id = get_department(session, department).id if department is not None else None
    if user.role == Role.HANDLER.value and user.department_id is None:
        raise InvalidInput("department", "a handler (承办单位) must belong to a department")
    if phone is not UNSET:
        user.phone = _check_phone(phone)
    if active is not UNSET:
        user.active = bool(active)
    session.flush()
    return user


def get_user(session: Session, ref: int | str) -> User:
    """By id (int) or username."""
    found = (session.get(User, ref) if isinstance(ref, int)
             else session.scalar(select(User).where(User.username == str(ref).strip())))
    if found is None:
        raise NotFound("user", f"no user '{ref}'")
    return found


def list_users(session: Session, *, role: str | None = None, department: int | str | None = None,
               active: bool | None = None) -> list[User]:
    query = select(User).order_by(User.username)
    if active is not None:
        query = query.where(User.active.is_(active))
    if role is not None:
        query = query.where(User.role == check_role(role).value)
    if department is not None:
        query = query.where(User.department_id == get_department(session, department).id)
    return list(session.scalars(query))


def grids_of(session: Session, user_id: int) -> set[str]:
    """The grid cells this user patrols (the lifecycle's own_grid guard)."""
    return set(session.scalars(select(GridCell.code).where(GridCell.worker_id == user_id)))


def actor_for_username(session: Session, username: str) -> Actor:
    """The lifecycle's view of a user: role, department and grid cells."""
    user = get_user(session, username)
    if not user.active:
        raise Forbidden("user", f"user '{username}' is disabled")
    return Actor(user_id=user.id, role=Role(user.role), department_id=user.department_id,
                 grid_codes=frozenset(grids_of(session, user.id)))


def assign_grid_workers(session: Session, district_code: str) -> tuple[int, int]:
    """一格一员: every grid cell of the district without a worker gets one, the user
    `gw-<cell code>` (created if missing, in the community committee when there is one).
    Cells that have a worker keep theirs. Returns (users created, cells assigned)."""
    district_code = check_district_code(district_code)
    cells = session.scalars(select(GridCell).where(GridCell.district_code == district_code,
                                                   GridCell.worker_id.is_(None)).order_by(GridCell.code)).all()
    committees = dict(session.execute(
        select(Department.region_code, Department.id).where(Department.district_code == district_code,
                                                            Department.kind == "community")).all())
    created = 0
    for cell in cells:
        username = GRID_WORKER_PREFIX + cell.code
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(username=username, name=f"网格员（{cell.code}）", role=Role.GRID_WORKER.value,
                        department_id=committees.get(cell.community_code), active=True)
            session.add(user)
            session.flush()
            created += 1
        cell.worker_id = user.id
    session.flush()
    return created, len(cells)
