"""The case lifecycle: states, actions, who may take them, and the guards.

Plain Python on purpose: no database, no web, no clock. The service layer loads a
case into a `CaseView`, asks `decide`, and persists what the decision says. The
state diagram in docs/lifecycle.md is generated from `RULES` (`civicloop case diagram`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Callable, Iterable


class State(StrEnum):
    REPORTED = "reported"                  # 上报/受理: waiting for 立案
    REGISTERED = "registered"              # 已立案: waiting for 派遣
    DISPATCHED = "dispatched"              # 已派遣: waiting for 签收
    RETURN_REQUESTED = "return_requested"  # 退回申请: the department says it is not theirs
    HANDLING = "handling"                  # 处置中
    SUSPENDED = "suspended"                # 挂起: the clock stops
    VERIFYING = "verifying"                # 待核查: the department has reported back
    CLOSED = "closed"                      # 已结案
    REJECTED = "rejected"                  # 不予立案
    MERGED = "merged"                      # 已合并: a duplicate that follows its master


class Role(StrEnum):
    ADMIN = "admin"              # 管理员
    OPERATOR = "operator"        # 受理员
    DISPATCHER = "dispatcher"    # 派遣员/值班长
    HANDLER = "handler"          # 承办单位
    GRID_WORKER = "grid_worker"  # 网格员/监督员
    SUPERVISOR = "supervisor"    # 督办/领导
    ASSESSOR = "assessor"        # 考评员
    CITIZEN = "citizen"          # 市民
    SYSTEM = "system"            # the sweep; a merged case following its master


class Rating(StrEnum):
    SATISFIED = "satisfied"                # 满意
    BASICALLY_SATISFIED = "basic"          # 基本满意
    DISSATISFIED = "dissatisfied"          # 不满意


STATE_LABELS = {
    State.REPORTED: "待立案", State.REGISTERED: "待派遣", State.DISPATCHED: "待签收",
    State.RETURN_REQUESTED: "退回待审", State.HANDLING: "处置中", State.SUSPENDED: "已挂起",
    State.VERIFYING: "待核查", State.CLOSED: "已结案", State.REJECTED: "不予立案",
    State.MERGED: "已合并",
}
TERMINAL = frozenset({State.CLOSED, State.REJECTED, State.MERGED})
OPEN = frozenset(State) - TERMINAL
# Escalation ladder of 四级五调: 网格首调、社区导调、街道主调、区级联调.
ESCALATION_LEVELS = ("grid", "community", "street", "district")
ESCALATION_LABELS = ("网格首调", "社区导调", "街道主调", "区级联调")


@dataclass(frozen=True)
class CaseView:
    """What the rules need to know about a case."""
    state: State
    lead_department_id: int | None = None
    assisting_department_ids: frozenset[int] = frozenset()
    assists_pending: frozenset[int] = frozenset()   # assisting departments yet to report back
    grid_code: str | None = None
    reporter_user_id: int | None = None
    extension_pending: bool = False
    rating: Rating | None = None
    escalation_level: int = 0


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    role: Role
    department_id: int | None = None
    grid_codes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Request:
    """The parameters an action was given (all optional; guards say what is needed)."""
    note: str = ""
    department_id: int | None = None
    assisting_department_ids: tuple[int, ...] = ()
    master_case_id: int | None = None
    extension_hours: float | None = None
    rating: Rating | None = None
    category_id: int | None = None


Guard = Callable[[CaseView, Actor, Request], "str | None"]  # returns why not, or None


def needs_reason(case: CaseView, actor: Actor, req: Request) -> str | None:
    return None if req.note.strip() else "note: a reason is required"


def needs_department(case: CaseView, actor: Actor, req: Request) -> str | None:
    return None if req.department_id is not None else "department_id: the lead department is required"


def needs_master(case: CaseView, actor: Actor, req: Request) -> str | None:
    return None if req.master_case_id is not None else "master_case_id: the case to merge into is required"


def needs_category(case: CaseView, actor: Actor, req: Request) -> str | None:
    return None if req.category_id is not None else "category: the new category is required"


def lead_department(case: CaseView, actor: Actor, req: Request) -> str | None:
    if actor.role is not Role.HANDLER:
        return None
    if actor.department_id is not None and actor.department_id == case.lead_department_id:
        return None
    return "actor: only the lead department's handlers may do this"


def assisting_department(case: CaseView, actor: Actor, req: Request) -> str | None:
    if actor.department_id in case.assists_pending:
        return None
    if actor.department_id in case.assisting_department_ids:
        return "actor: this department has already reported back"
    return "actor: only an assisting department's handlers may do this"


def assists_done(case: CaseView, actor: Actor, req: Request) -> str | None:
    if case.assists_pending:
        return f"assists: {len(case.assists_pending)} assisting department(s) have not reported back"
    return None


def own_grid(case: CaseView, actor: Actor, req: Request) -> str | None:
    if actor.role is not Role.GRID_WORKER or case.grid_code in actor.grid_codes:
        return None
    return "actor: a grid worker may only check or verify cases in their own grid"


def needs_extension_hours(case: CaseView, actor: Actor, req: Request) -> str | None:
    if req.extension_hours is None or req.extension_hours <= 0:
        return "extension_hours: a positive number of hours is required"
    if case.extension_pending:
        return "extension: a request is already waiting for approval"
    return None


def extension_pending(case: CaseView, actor: Actor, req: Request) -> str | None:
    return None if case.extension_pending else "extension: no extension request is waiting"


def needs_rating(case: CaseView, actor: Actor, req: Request) -> str | None:
    if req.rating is None:
        return "rating: one of " + ", ".join(r.value for r in Rating) + " is required"
    if case.rating is not None:
        return "rated: this case has already been rated"
    return None


def own_report(case: CaseView, actor: Actor, req: Request) -> str | None:
    if actor.role is not Role.CITIZEN or actor.user_id == case.reporter_user_id:
        return None
    return "actor: citizens may only rate their own reports"


def dissatisfied(case: CaseView, actor: Actor, req: Request) -> str | None:
    if case.rating is Rating.DISSATISFIED:
        return None
    return "rating: only a case rated dissatisfied (不满意) may be reopened"


def can_escalate(case: CaseView, actor: Actor, req: Request) -> str | None:
    if case.escalation_level >= len(ESCALATION_LEVELS) - 1:
        return "escalation_level: already at the district level (区级联调)"
    return None


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[State]
    target: State | None          # None: the state does not change
    roles: frozenset[Role]
    guards: tuple[Guard, ...] = ()


def T(action: str, label: str, sources: Iterable[State], target: State | None,
      roles: Iterable[Role], *guards: Guard) -> Transition:
    return Transition(action, label, frozenset(sources), target, frozenset(roles), guards)


S, R = State, Role
ACTIVE = (S.REGISTERED, S.DISPATCHED, S.RETURN_REQUESTED, S.HANDLING, S.SUSPENDED, S.VERIFYING)

RULES: tuple[Transition, ...] = (
    # 核实: before 立案 the operator or dispatcher may send the grid's worker to see whether a
    # reported matter is there; the worker answers with what was found, within the check limit.
    T("request_check", "派核实", {S.REPORTED}, None, {R.OPERATOR, R.DISPATCHER}),
    T("check", "核实", {S.REPORTED}, None, {R.GRID_WORKER}, own_grid, needs_reason),
    T("register", "立案", {S.REPORTED}, S.REGISTERED, {R.DISPATCHER}),
    T("reject", "不予立案", {S.REPORTED}, S.REJECTED, {R.DISPATCHER}, needs_reason),
    T("merge", "合并", {S.REPORTED, S.REGISTERED}, S.MERGED, {R.DISPATCHER}, needs_master),
    # 改类: the operator or dispatcher sets or corrects the category before the case goes out
    # (or when it comes back); each such choice is kept as a labelled example (intake/).
    T("reclassify", "改类", {S.REPORTED, S.REGISTERED, S.RETURN_REQUESTED}, None, {R.OPERATOR, R.DISPATCHER},
      needs_category),
    T("dispatch", "派遣", {S.REGISTERED}, S.DISPATCHED, {R.DISPATCHER}, needs_department),
    T("accept", "签收", {S.DISPATCHED}, S.HANDLING, {R.HANDLER}, lead_department),
    T("return", "退回", {S.DISPATCHED}, S.RETURN_REQUESTED, {R.HANDLER}, lead_department, needs_reason),
    T("approve_return", "同意退回", {S.RETURN_REQUESTED}, S.REGISTERED, {R.DISPATCHER}),
    T("refuse_return", "驳回退回", {S.RETURN_REQUESTED}, S.DISPATCHED, {R.DISPATCHER}, needs_reason),
    T("request_extension", "申请延期", {S.HANDLING}, None, {R.HANDLER},
      lead_department, needs_reason, needs_extension_hours),
    T("approve_extension", "批准延期", {S.HANDLING, S.SUSPENDED}, None, {R.DISPATCHER}, extension_pending),
    T("refuse_extension", "驳回延期", {S.HANDLING, S.SUSPENDED}, None, {R.DISPATCHER},
      extension_pending, needs_reason),
    T("suspend", "挂起", {S.HANDLING}, S.SUSPENDED, {R.HANDLER, R.DISPATCHER}, lead_department, needs_reason),
    T("resume", "恢复", {S.SUSPENDED}, S.HANDLING, {R.HANDLER, R.DISPATCHER}, lead_department),
    T("assist_feedback", "协办反馈", {S.HANDLING}, None, {R.HANDLER}, assisting_department, needs_reason),
    T("feedback", "反馈", {S.HANDLING}, S.VERIFYING, {R.HANDLER}, lead_department, needs_reason, assists_done),
    T("verify_pass", "核查通过", {S.VERIFYING}, S.CLOSED, {R.GRID_WORKER, R.DISPATCHER}, own_grid),
    T("verify_fail", "返工", {S.VERIFYING}, S.HANDLING, {R.GRID_WORKER, R.DISPATCHER}, own_grid, needs_reason),
    T("rate", "回访评价", {S.CLOSED}, None, {R.OPERATOR, R.CITIZEN}, own_report, needs_rating),
    T("reopen", "重办", {S.CLOSED}, S.HANDLING, {R.SUPERVISOR}, dissatisfied, needs_reason),
    T("supervise", "督办", (S.REPORTED, *ACTIVE), None, {R.SUPERVISOR}, needs_reason),
    T("escalate", "升级", (S.REPORTED, *ACTIVE), None, {R.SUPERVISOR, R.SYSTEM}, can_escalate),
    # A reporter's later word (补充说明), e.g. an update from FixMyStreet: kept in the history
    # whatever the state, even after closing, for the operator to read; it changes nothing.
    T("comment", "补充说明", tuple(S), None, {R.OPERATOR, R.CITIZEN}, needs_reason),
    # A merged case follows its master, in the master's transaction (cases/service.py
    # `_follow_master`): closed or not registered with it, or moved to the case the master
    # was itself merged into. Closed, its reporter rates it like any other.
    T("close_with_master", "随主件结案", {S.MERGED}, S.CLOSED, {R.SYSTEM}, needs_master),
    T("reject_with_master", "随主件不予立案", {S.MERGED}, S.REJECTED, {R.SYSTEM}, needs_master),
    T("follow_master", "随主件并案", {S.MERGED}, None, {R.SYSTEM}, needs_master),
)
BY_ACTION = {rule.action: rule for rule in RULES}
ACTIONS = tuple(BY_ACTION)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    action: str
    from_state: State
    to_state: State | None = None
    reasons: tuple[str, ...] = ()
    allowed_actions: tuple[str, ...] = field(default=())


def allowed_actions(state: State, role: Role | None = None) -> tuple[str, ...]:
    """Actions possible in `state` (for `role`, if given), guards aside."""
    return tuple(r.action for r in RULES if state in r.sources and (role is None or role in r.roles))


def decide(case: CaseView, action: str, actor: Actor, req: Request = Request()) -> Decision:
    """Whether `actor` may take `action` on `case`, and the state it leads to."""
    rule = BY_ACTION.get(action)
    possible = allowed_actions(case.state, actor.role)
    if rule is None:
        return Decision(False, action, case.state, reasons=(f"action: unknown action {action!r}",),
                        allowed_actions=possible)
    if case.state not in rule.sources:
        return Decision(False, action, case.state,
                        reasons=(f"state: {action} is not allowed in state {case.state.value}",),
                        allowed_actions=possible)
    if actor.role not in rule.roles:
        return Decision(False, action, case.state,
                        reasons=(f"role: {actor.role.value} may not {action}; "
                                 f"allowed: {', '.join(sorted(r.value for r in rule.roles))}",),
                        allowed_actions=possible)
    reasons = tuple(why for guard in rule.guards if (why := guard(case, actor, req)))
    if reasons:
        return Decision(False, action, case.state, reasons=reasons, allowed_actions=possible)
    return Decision(True, action, case.state, rule.target or case.state, allowed_actions=possible)


def mermaid() -> str:
    """The state diagram, drawn from RULES (docs/lifecycle.md is generated from it).
    Actions that keep the state (督办, 延期, 评价 …) are listed in a note per state."""
    lines = ["stateDiagram-v2", "    [*] --> reported: 上报"]
    in_place: dict[State, list[str]] = {}
    for rule in RULES:
        for source in sorted(rule.sources):
            if rule.target is None:
                in_place.setdefault(source, []).append(rule.label)
                continue
            roles = "/".join(sorted(r.value for r in rule.roles))
            lines.append(f"    {source.value} --> {rule.target.value}: {rule.label} {rule.action} ({roles})")
    lines += [f"    {s.value} --> [*]" for s in sorted(TERMINAL)]
    lines += [f"    note right of {s.value}: {'、'.join(labels)}" for s, labels in in_place.items()]
    return "\n".join(lines) + "\n"
