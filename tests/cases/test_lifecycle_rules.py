"""The rules table, exhaustively: every state × action × role, and every guard."""
from pathlib import Path

import pytest

from civicloop.cases import lifecycle as lc
from civicloop.cases.lifecycle import Actor, CaseView, Rating, Request, Role, State, decide

DEPT, OTHER = 7, 8
GRID = "4201060010010001"


def permissive_case(state: State) -> CaseView:
    """A case on which every guard that looks at the case is satisfied."""
    return CaseView(state=state, lead_department_id=DEPT, assisting_department_ids=frozenset({OTHER}),
                    assists_pending=frozenset(), grid_code=GRID, reporter_user_id=1,
                    extension_pending=True, rating=Rating.DISSATISFIED, escalation_level=0)


def permissive_actor(role: Role) -> Actor:
    return Actor(user_id=1, role=role, department_id=DEPT, grid_codes=frozenset({GRID}))


FULL = Request(note="原因", department_id=DEPT, master_case_id=99, extension_hours=8, rating=Rating.SATISFIED,
               category_id=3)


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("action", lc.ACTIONS)
@pytest.mark.parametrize("role", list(Role))
def test_every_state_action_role(state, action, role):
    rule = lc.BY_ACTION[action]
    case = permissive_case(state)
    if action == "rate":
        case = CaseView(**{**case.__dict__, "rating": None})
    if action == "request_extension":
        case = CaseView(**{**case.__dict__, "extension_pending": False})
    if action == "assist_feedback":  # the actor is the assisting department, still to report
        actor = Actor(user_id=1, role=role, department_id=OTHER)
        case = CaseView(**{**case.__dict__, "assists_pending": frozenset({OTHER})})
    else:
        actor = permissive_actor(role)
    decision = decide(case, action, actor, FULL)
    expected = state in rule.sources and role in rule.roles
    assert decision.allowed is expected, decision.reasons
    if expected:
        assert decision.to_state == (rule.target or state)
    else:
        field = decision.reasons[0].split(":")[0]
        assert field == ("state" if state not in rule.sources else "role")
        assert set(decision.allowed_actions) == set(lc.allowed_actions(state, role))


def test_refusal_in_wrong_state_names_state_and_allowed_actions():
    d = decide(CaseView(state=State.CLOSED), "dispatch", permissive_actor(Role.DISPATCHER), FULL)
    assert not d.allowed
    assert "closed" in d.reasons[0]
    assert d.allowed_actions == ()  # a dispatcher can do nothing on a closed case
    d = decide(CaseView(state=State.REPORTED), "accept", permissive_actor(Role.HANDLER))
    assert set(d.allowed_actions) == set()
    d = decide(CaseView(state=State.REPORTED), "accept", permissive_actor(Role.DISPATCHER))
    assert {"register", "reject", "merge"} <= set(d.allowed_actions)


def test_unknown_action():
    d = decide(CaseView(state=State.REPORTED), "teleport", permissive_actor(Role.ADMIN))
    assert not d.allowed and d.reasons[0].startswith("action:")


@pytest.mark.parametrize("action,req,field", [
    ("reject", Request(note="  "), "note"),
    ("merge", Request(), "master_case_id"),
    ("dispatch", Request(), "department_id"),
    ("reclassify", Request(), "category"),
    ("request_extension", Request(note="x"), "extension_hours"),
    ("request_extension", Request(note="x", extension_hours=-2), "extension_hours"),
    ("suspend", Request(), "note"),
    ("feedback", Request(), "note"),
    ("verify_fail", Request(), "note"),
    ("rate", Request(), "rating"),
    ("reopen", Request(), "note"),
    ("supervise", Request(), "note"),
])
def test_guards_name_the_missing_field(action, req, field):
    rule = lc.BY_ACTION[action]
    state = sorted(rule.sources)[0]
    role = sorted(rule.roles)[0]
    case = CaseView(**{**permissive_case(state).__dict__, "rating": None if action == "rate" else Rating.DISSATISFIED,
                       "extension_pending": False})
    d = decide(case, action, permissive_actor(role), req)
    assert not d.allowed
    assert any(r.startswith(field + ":") for r in d.reasons), d.reasons


def test_handler_of_another_department_is_refused():
    case = CaseView(state=State.DISPATCHED, lead_department_id=DEPT)
    stranger = Actor(user_id=2, role=Role.HANDLER, department_id=OTHER)
    for action in ("accept", "return"):
        d = decide(case, action, stranger, Request(note="x"))
        assert not d.allowed and d.reasons[0].startswith("actor:")
    assert decide(case, "accept", permissive_actor(Role.HANDLER)).allowed


def test_feedback_waits_for_assisting_departments():
    case = CaseView(state=State.HANDLING, lead_department_id=DEPT, assisting_department_ids=frozenset({OTHER}),
                    assists_pending=frozenset({OTHER}))
    d = decide(case, "feedback", permissive_actor(Role.HANDLER), Request(note="已处理"))
    assert not d.allowed and d.reasons[0].startswith("assists:")
    helper = Actor(user_id=3, role=Role.HANDLER, department_id=OTHER)
    assert decide(case, "assist_feedback", helper, Request(note="已配合")).allowed
    done = CaseView(**{**case.__dict__, "assists_pending": frozenset()})
    assert not decide(done, "assist_feedback", helper, Request(note="again")).allowed
    assert decide(done, "feedback", permissive_actor(Role.HANDLER), Request(note="已处理")).allowed


def test_grid_worker_verifies_only_own_grid():
    case = CaseView(state=State.VERIFYING, grid_code=GRID)
    other = Actor(user_id=5, role=Role.GRID_WORKER, grid_codes=frozenset({"4201060010010002"}))
    assert not decide(case, "verify_pass", other).allowed
    assert decide(case, "verify_pass", permissive_actor(Role.GRID_WORKER)).allowed


def test_extension_approval_needs_a_pending_request():
    case = CaseView(state=State.HANDLING, lead_department_id=DEPT)
    assert not decide(case, "approve_extension", permissive_actor(Role.DISPATCHER)).allowed
    d = decide(CaseView(state=State.HANDLING, lead_department_id=DEPT, extension_pending=True),
               "request_extension", permissive_actor(Role.HANDLER), Request(note="x", extension_hours=8))
    assert not d.allowed and d.reasons[0].startswith("extension:")


def test_rating_and_reopen():
    closed = CaseView(state=State.CLOSED, reporter_user_id=1)
    assert decide(closed, "rate", Actor(1, Role.CITIZEN), Request(rating=Rating.SATISFIED)).allowed
    assert not decide(closed, "rate", Actor(2, Role.CITIZEN), Request(rating=Rating.SATISFIED)).allowed
    rated = CaseView(state=State.CLOSED, rating=Rating.SATISFIED)
    assert decide(rated, "rate", Actor(9, Role.OPERATOR), Request(rating=Rating.SATISFIED)).reasons[0].startswith("rated:")
    assert not decide(rated, "reopen", Actor(9, Role.SUPERVISOR), Request(note="x")).allowed
    unhappy = CaseView(state=State.CLOSED, rating=Rating.DISSATISFIED)
    assert decide(unhappy, "reopen", Actor(9, Role.SUPERVISOR), Request(note="群众不满意")).to_state is State.HANDLING


def test_escalation_stops_at_district_level():
    top = CaseView(state=State.HANDLING, escalation_level=len(lc.ESCALATION_LEVELS) - 1)
    assert not decide(top, "escalate", Actor(None, Role.SYSTEM)).allowed
    assert decide(CaseView(state=State.HANDLING), "escalate", Actor(None, Role.SYSTEM)).allowed


def test_every_state_is_reachable_and_terminal_states_have_no_exit_but_reopen():
    reached = {State.REPORTED}
    frontier = [State.REPORTED]
    while frontier:
        s = frontier.pop()
        for rule in lc.RULES:
            if s in rule.sources and (rule.target or s) not in reached:
                reached.add(rule.target or s)
                frontier.append(rule.target or s)
    assert reached == set(State)
    exits = {r.action for r in lc.RULES if r.sources & lc.TERMINAL and r.target not in (None, *lc.TERMINAL)}
    assert exits == {"reopen"}


def test_docs_diagram_is_generated_from_the_rules():
    doc = (Path(__file__).parents[2] / "docs" / "lifecycle.md").read_text(encoding="utf-8")
    assert lc.mermaid() in doc, "docs/lifecycle.md is stale: run `civicloop case diagram --write`"
