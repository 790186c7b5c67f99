"""Who may see which case, who sees the reporter, who may do what outside the lifecycle.

Plain Python like the lifecycle (no database, no web): the case list turns `case_scope`
into SQL (cases/query.py), the views ask the rest. Lifecycle actions themselves are
decided by cases/lifecycle.py alone.
"""
from __future__ import annotations

from enum import StrEnum

from civicloop.cases.lifecycle import Actor, Role

R = Role


class Scope(StrEnum):
    ALL = "all"                # every case of the district
    DEPARTMENT = "department"  # cases its department leads or assists (承办/协办)
    GRIDS = "grids"            # cases in its grid cells, and those it reported itself
    OWN = "own"                # cases it reported
    NONE = "none"


CASE_SCOPE = {
    R.ADMIN: Scope.ALL, R.OPERATOR: Scope.ALL, R.DISPATCHER: Scope.ALL, R.SUPERVISOR: Scope.ALL,
    R.ASSESSOR: Scope.ALL, R.SYSTEM: Scope.ALL, R.HANDLER: Scope.DEPARTMENT, R.GRID_WORKER: Scope.GRIDS,
    R.CITIZEN: Scope.OWN,
}

# Which channels each role may take a case in through. The public (no account) uses the
# public intake and Open311, which are the web channel.
INTAKE_CHANNELS = {
    R.OPERATOR: ("hotline", "web", "app", "petition"),
    R.DISPATCHER: ("hotline", "web", "app", "patrol", "petition", "supervision", "instruction"),
    R.GRID_WORKER: ("patrol",),
    R.SUPERVISOR: ("supervision", "instruction"),
    R.CITIZEN: ("app", "web"),
    R.ADMIN: (),
    R.HANDLER: (),
    R.ASSESSOR: (),
    R.SYSTEM: (),
}

# Reference data and accounts: who may read and who may change them.
PERMISSIONS = {
    "reference.read": frozenset(Role) - {R.CITIZEN},   # departments, users, routing rules
    "reference.write": frozenset({R.ADMIN}),           # districts, grids, categories, departments, routing
    "users.write": frozenset({R.ADMIN}),
    "calendar.write": frozenset({R.ADMIN}),
    "api_keys.write": frozenset({R.ADMIN}),
    # Targets and 实事 (commitments/): staff read them; admins and leaders create, plan
    # (milestones) and drop; leaders issue 督办 and bulletins; handlers report progress (of
    # their own department's items: commitments/rules.py may_report_progress); those who
    # take or dispatch cases link a case to the item it concerns.
    "commitments.read": frozenset(Role) - {R.CITIZEN},
    "commitments.write": frozenset({R.ADMIN, R.SUPERVISOR}),
    "commitments.progress": frozenset({R.HANDLER}),
    "commitments.supervise": frozenset({R.SUPERVISOR}),
    "commitments.bulletin": frozenset({R.ADMIN, R.SUPERVISOR}),
    "commitments.link": frozenset({R.ADMIN, R.SUPERVISOR, R.OPERATOR, R.DISPATCHER}),
    # Duplicates (duplicates/): those who take cases in and register them look for the
    # case a new one repeats; the merge itself is the lifecycle's (dispatchers).
    "duplicates.check": frozenset({R.OPERATOR, R.DISPATCHER}),
    # The classifier's view of a message (intake/): staff who take cases in.
    "intake.classify": frozenset({R.OPERATOR, R.DISPATCHER, R.GRID_WORKER, R.SUPERVISOR}),
    # Hot issues (hot/): those who watch the district's cases, and departments over their own.
    "hot.read": frozenset({R.DISPATCHER, R.SUPERVISOR, R.ASSESSOR, R.HANDLER}),
    # Reading a work report into targets and 实事 (reports/): those who plan, supervise and assess.
    "reports.read": frozenset({R.ADMIN, R.SUPERVISOR, R.ASSESSOR}),
    # The notification outbox holds reporters' phones: admins only, masked even then.
    "notifications.read": frozenset({R.ADMIN}),
    # Assessment (assess/): indicators, the cases behind them, rankings, 讲评 — for leaders and
    # assessors (and admins); every case of the district is behind some figure.
    "assess.read": frozenset({R.ADMIN, R.SUPERVISOR, R.ASSESSOR}),
}


def case_scope(actor: Actor) -> Scope:
    return CASE_SCOPE.get(actor.role, Scope.NONE)


def may(actor: Actor, permission: str) -> bool:
    return actor.role in PERMISSIONS[permission]


def can_see(actor: Actor, *, lead_department_id: int | None, assisting_department_ids: frozenset[int] | set[int],
            grid_code: str | None, reporter_user_id: int | None, created_by_id: int | None) -> bool:
    scope = case_scope(actor)
    if scope is Scope.ALL:
        return True
    if scope is Scope.DEPARTMENT:
        return actor.department_id is not None and (actor.department_id == lead_department_id
                                                    or actor.department_id in assisting_department_ids)
    own = actor.user_id is not None and actor.user_id in (reporter_user_id, created_by_id)
    if scope is Scope.GRIDS:
        return own or grid_code in actor.grid_codes
    return scope is Scope.OWN and own


def sees_reporter(actor: Actor | None, *, lead_department_id: int | None, reporter_user_id: int | None) -> bool:
    """The reporter's name and phone are shown only to those who must call them back: the
    intake operator and dispatcher, the lead department's handler (承办单位联系诉求人), and
    the reporter. Everyone else — leaders, assessors, grid workers, assisting departments,
    admins, the public — sees them masked, in text and event notes as well."""
    if actor is None:
        return False
    if actor.role in (R.OPERATOR, R.DISPATCHER):
        return True
    if actor.role is R.HANDLER:
        return actor.department_id is not None and actor.department_id == lead_department_id
    return actor.user_id is not None and actor.user_id == reporter_user_id
