"""The authorization matrix: every role × every endpoint × a case in and out of the
caller's scope gives the expected allow or deny, and no reporter's name or phone leaks to
a role that should not see them.

The expectations are written out here as literal role sets, not computed from
civicloop/auth/policy.py, so that a change of policy has to change this table too. Every
operation of the OpenAPI document must have a row: a new endpoint without one fails."""
from __future__ import annotations

import pytest

from tests.api.conftest import add_user

ROLES = ("anonymous", "citizen", "operator", "dispatcher", "handler", "handler_zj", "grid_worker", "supervisor",
         "assessor", "admin")
SIGNED_IN = frozenset(ROLES) - {"anonymous"}
EVERYONE = frozenset(ROLES)
STAFF = SIGNED_IN - {"citizen"}
ADMIN = frozenset({"admin"})
NOBODY = frozenset()
ASSESSORS = frozenset({"supervisor", "assessor", "admin"})  # indicators, rankings, 讲评
# Who sees case A (citizen's report in the grid worker's cell, led by 区住建局) and case B
# (a hotline call elsewhere, led by 区城管执法局), and who sees their reporters unmasked.
SEES_A = frozenset({"citizen", "operator", "dispatcher", "handler_zj", "grid_worker", "supervisor", "assessor",
                    "admin"})
SEES_B = frozenset({"operator", "dispatcher", "handler", "supervisor", "assessor", "admin"})
REPORTER_A = frozenset({"citizen", "operator", "dispatcher", "handler_zj"})
REPORTER_B = frozenset({"operator", "dispatcher", "handler"})
A_PHONE, A_NAME, B_PHONE, B_NAME = "13800001111", "欧阳测试", "13900002222", "司马测试"

# (method, path) -> (who is allowed, and "case" where the object is a case that scope applies
# to, or "api_key" where a sign-in is no credential: Open311 answers 403 without a key)
# Writes are sent with an empty body: an allowed caller gets past authorization to the
# validation (422) or the lookup (404); a denied one is stopped before (401/403).
MATRIX = {
    ("POST", "/api/v1/auth/token"): (EVERYONE, None),
    ("GET", "/api/v1/auth/me"): (SIGNED_IN, None),
    ("POST", "/api/v1/auth/revoke"): (SIGNED_IN, None),
    ("GET", "/api/v1/auth/tokens"): (SIGNED_IN, None),
    ("DELETE", "/api/v1/auth/tokens/{token_id}"): (SIGNED_IN, None),
    ("POST", "/api/v1/auth/password"): (SIGNED_IN, None),
    ("POST", "/api/v1/auth/api-keys"): (ADMIN, None),
    ("POST", "/api/v1/cases"): (frozenset({"citizen", "operator", "dispatcher", "grid_worker", "supervisor"}), None),
    ("GET", "/api/v1/cases"): (SIGNED_IN, None),
    ("GET", "/api/v1/cases/queues"): (SIGNED_IN, None),
    ("GET", "/api/v1/dashboard"): (SIGNED_IN, None),  # counts of the caller's own scope, like the queues
    ("POST", "/api/v1/public/cases"): (EVERYONE, None),
    ("GET", "/api/v1/public/cases/{number}"): (EVERYONE, None),
    ("GET", "/api/v1/public/outline"): (EVERYONE, None),
    ("GET", "/api/v1/cases/{ref}"): (SIGNED_IN, "case"),
    ("POST", "/api/v1/cases/{ref}/actions/{action}"): (frozenset({"supervisor"}), "case"),
    ("GET", "/api/v1/cases/{ref}/events"): (SIGNED_IN, "case"),
    ("GET", "/api/v1/cases/{ref}/attachments"): (SIGNED_IN, "case"),
    # Duplicates: the role is checked before the case (operators and dispatchers see every case).
    ("GET", "/api/v1/cases/{ref}/duplicates"): (frozenset({"operator", "dispatcher"}), None),
    ("POST", "/api/v1/duplicates/check"): (frozenset({"operator", "dispatcher"}), None),
    ("GET", "/api/v1/notifications"): (ADMIN, None),
    ("GET", "/api/v1/cases/{ref}/suggestion"): (frozenset({"operator", "dispatcher", "grid_worker", "supervisor"}),
                                               "case"),
    ("POST", "/api/v1/intake/classify"): (frozenset({"operator", "dispatcher", "grid_worker", "supervisor"}), None),
    ("GET", "/api/v1/attachments/{attachment_id}"): (SIGNED_IN, "case"),
    ("GET", "/api/v1/districts"): (STAFF, None),
    ("GET", "/api/v1/districts/{code}"): (STAFF, None),
    ("GET", "/api/v1/districts/{code}/grids"): (STAFF, None),
    ("POST", "/api/v1/districts/{code}/grids"): (ADMIN, None),
    ("GET", "/api/v1/grids/{code}"): (STAFF, None),
    ("GET", "/api/v1/locate"): (STAFF, None),
    ("GET", "/api/v1/departments"): (STAFF, None),
    ("POST", "/api/v1/departments"): (ADMIN, None),
    ("GET", "/api/v1/departments/{ref}"): (STAFF, None),
    ("GET", "/api/v1/routing/rules"): (STAFF, None),
    ("POST", "/api/v1/routing/rules"): (ADMIN, None),
    ("DELETE", "/api/v1/routing/rules/{rule_id}"): (ADMIN, None),
    ("GET", "/api/v1/addresses"): (STAFF, None),
    ("POST", "/api/v1/addresses/match"): (STAFF, None),
    ("POST", "/api/v1/addresses/import"): (ADMIN, None),
    ("GET", "/api/v1/routing/explain"): (STAFF, None),
    ("GET", "/api/v1/categories"): (STAFF, None),
    ("GET", "/api/v1/categories/tree"): (STAFF, None),
    ("GET", "/api/v1/categories/{ref}"): (STAFF, None),
    ("PUT", "/api/v1/categories/{ref}/limits"): (ADMIN, None),
    ("PATCH", "/api/v1/categories/{ref}/limits"): (ADMIN, None),
    ("GET", "/api/v1/users"): (STAFF, None),
    ("POST", "/api/v1/users"): (ADMIN, None),
    ("GET", "/api/v1/users/{username}"): (STAFF, None),
    ("PATCH", "/api/v1/users/{username}"): (ADMIN, None),
    ("POST", "/api/v1/users/{username}/password"): (ADMIN, None),
    ("DELETE", "/api/v1/users/{username}/tokens"): (ADMIN, None),
    ("GET", "/api/v1/calendar/{year}"): (STAFF, None),
    ("PUT", "/api/v1/calendar/days/{date}"): (ADMIN, None),
    ("DELETE", "/api/v1/calendar/days/{date}"): (ADMIN, None),
    ("POST", "/api/v1/calendar/import"): (ADMIN, None),
    ("GET", "/api/v1/commitments"): (STAFF, None),
    ("POST", "/api/v1/commitments"): (frozenset({"admin", "supervisor"}), None),
    ("GET", "/api/v1/commitments/{item_id}"): (STAFF, None),
    ("GET", "/api/v1/commitments/{item_id}/events"): (STAFF, None),
    ("POST", "/api/v1/commitments/{item_id}/milestones"): (frozenset({"admin", "supervisor"}), None),
    ("POST", "/api/v1/commitments/{item_id}/progress"): (frozenset({"handler", "handler_zj"}), None),
    ("POST", "/api/v1/commitments/{item_id}/drop"): (frozenset({"admin", "supervisor"}), None),
    ("POST", "/api/v1/commitments/{item_id}/supervisions"): (frozenset({"supervisor"}), None),
    ("POST", "/api/v1/commitments/{item_id}/cases"): (frozenset({"admin", "supervisor", "operator", "dispatcher"}), None),
    ("GET", "/api/v1/commitments/bulletins"): (STAFF, None),
    ("POST", "/api/v1/commitments/bulletins"): (frozenset({"admin", "supervisor"}), None),
    # Open311 is public by design; creating a request needs an API key, not a sign-in.
    ("GET", "/open311/v2/discovery.{fmt}"): (EVERYONE, None),
    ("GET", "/open311/v2/services.{fmt}"): (EVERYONE, None),
    ("GET", "/open311/v2/services/{service_code}.{fmt}"): (EVERYONE, None),
    ("POST", "/open311/v2/requests.{fmt}"): (NOBODY, "api_key"),
    ("GET", "/open311/v2/requests.{fmt}"): (EVERYONE, None),
    ("GET", "/open311/v2/requests/{service_request_id}.{fmt}"): (EVERYONE, None),
    ("GET", "/open311/v2/tokens/{token}.{fmt}"): (EVERYONE, None),
    ("POST", "/open311/v2/servicerequestupdates.{fmt}"): (NOBODY, "api_key"),
    ("GET", "/open311/v2/servicerequestupdates.{fmt}"): (EVERYONE, None),
    ("GET", "/api/v1/hot-issues"): (frozenset({"dispatcher", "supervisor", "assessor", "handler", "handler_zj"}),
                                    None),
    ("POST", "/api/v1/reports/read"): (frozenset({"supervisor", "assessor", "admin"}), None),
    ("POST", "/api/v1/reports/compare"): (frozenset({"supervisor", "assessor", "admin"}), None),
    ("GET", "/api/v1/reports/annual"): (frozenset({"supervisor", "assessor", "admin"}), None),
    ("GET", "/api/v1/assess/definitions"): (ASSESSORS, None),
    ("GET", "/api/v1/assess/indicators"): (ASSESSORS, None),
    ("GET", "/api/v1/assess/indicators/{indicator}/cases"): (ASSESSORS, None),
    ("GET", "/api/v1/assess/ranking"): (ASSESSORS, None),
    ("GET", "/api/v1/assess/review"): (ASSESSORS, None),
    ("GET", "/api/v1/assess/review.xlsx"): (ASSESSORS, None),
    ("GET", "/api/v1/assess/review.html"): (ASSESSORS, None),
    ("GET", "/api/v1/assess/annual"): (ASSESSORS, None),
    ("GET", "/healthz"): (EVERYONE, None),
    ("GET", "/readyz"): (EVERYONE, None),
    ("GET", "/metrics"): (EVERYONE, None),
}


@pytest.fixture(scope="module")
def cases(live):
    add_user(live, "admin", "admin")
    add_user(live, "assessor", "assessor")
    citizen, operator, dispatcher = (live.client(u) for u in ("citizen", "operator", "dispatcher"))
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
    a = citizen.post("/api/v1/cases", data={
        "channel": "app", "title": "路灯不亮", "body": f"联系我{A_PHONE}", "reporter_name": A_NAME,
        "reporter_phone": A_PHONE, "lon": "114.305", "lat": "30.545", "category": "010101"},
        files=[("photos", ("a.png", png, "image/png"))])
    b = operator.post("/api/v1/cases", data={
        "channel": "hotline", "title": "违章搭建", "body": f"举报人电话{B_PHONE}", "reporter_name": B_NAME,
        "reporter_phone": B_PHONE, "lon": "114.315", "lat": "30.555", "category": "0102"},
        files=[("photos", ("b.png", png, "image/png"))])
    assert a.status_code == 201 and b.status_code == 201, (a.text, b.text)
    out = {}
    for name, made in (("A", a.json()), ("B", b.json())):
        for action in ("register", "dispatch"):
            answer = dispatcher.post(f"/api/v1/cases/{made['id']}/actions/{action}", json={})
            assert answer.status_code == 200, answer.text
        attachments = operator.get(f"/api/v1/cases/{made['id']}/attachments").json()
        out[name] = {"id": made["id"], "number": made["number"],
                     "attachment": attachments[0]["id"] if attachments else None}
    assert live.client("dispatcher").get(f"/api/v1/cases/{out['A']['id']}").json()["lead_department"]["id"] \
        == live.world.departments["zj"]
    return out


def _path(template: str, live, case: dict | None, role: str) -> str:
    world = live.world
    values = {"{ref}": str(case["id"]) if case else "1", "{action}": "supervise",
              "{attachment_id}": str(case["attachment"]) if case and case["attachment"] else "999999",
              "{number}": case["number"] if case else "420106-20261123-999999",
              "{token_id}": "999999", "{code}": world.cells[0] if "/grids/" in template else "420106",
              "{rule_id}": "999999", "{item_id}": "999999", "{username}": "operator", "{year}": "2026", "{date}": "2026-12-31",
              "{fmt}": "json", "{service_code}": "010101", "{service_request_id}": "999999", "{token}": "nope"}
    values["{indicator}"] = "closure_rate"
    if template == "/api/v1/districts/{code}/grids":
        values["{code}"] = "420106"
    if template == "/api/v1/categories/{ref}":
        values["{ref}"] = "010101"
    if template == "/api/v1/departments/{ref}":
        values["{ref}"] = "zj"
    path = template
    for key, value in values.items():
        path = path.replace(key, value)
    return path


def _operations(live):
    spec = live.client().get("/openapi.json").json()
    return {(method.upper(), path) for path, item in spec["paths"].items() for method in item
            if method in ("get", "post", "put", "patch", "delete")}


def test_every_operation_has_a_row(live):
    missing = _operations(live) - set(MATRIX)
    assert not missing, f"add these operations to the authorization matrix: {sorted(missing)}"
    stale = set(MATRIX) - _operations(live)
    assert not stale, f"these rows name operations that no longer exist: {sorted(stale)}"


@pytest.mark.parametrize("role", ROLES)
def test_matrix(live, cases, role):
    client = live.client(None if role == "anonymous" else role)
    if role != "anonymous":  # the revoke and password rows must not end this role's session
        client.headers["Authorization"] = "Bearer " + _fresh_token(live, role)
    wrong = []
    for (method, template), (allowed, scoped) in sorted(MATRIX.items(), key=_ending_the_session_last):
        targets = [("A", cases["A"], SEES_A), ("B", cases["B"], SEES_B)] if scoped == "case" \
            else [("-", None, None)]
        for label, case, sees in targets:
            path = _path(template, live, case, role)
            kwargs = {"json": {"note": "请加快处理"}} if template.endswith("/actions/{action}") else {}
            if method in ("POST", "PUT", "PATCH") and not kwargs:
                kwargs = {"json": {}}
            if template == "/api/v1/auth/token":
                kwargs = {"data": {"username": "nobody", "password": "wrong-password"}}
            answer = client.request(method, path, **kwargs)
            status = answer.status_code
            if role == "anonymous" and role not in allowed:
                expected = {401}
            elif sees is not None and role not in sees:
                expected = {404}  # out of scope: not even told it exists, whatever the role
            elif role not in allowed:
                expected = {403}
            else:
                expected = None  # allowed: anything but a refusal or a server error
            if template == "/api/v1/auth/token":
                expected = {401}  # wrong credentials, whoever asks: never 403 or 500
            if scoped == "api_key":
                expected = {403}
            ok = (status in expected) if expected else (status not in (401, 403) and status < 500
                                                        and not (scoped == "case" and status == 404))
            if status >= 500 or not ok:
                wrong.append(f"{method} {path} ({label}): got {status}, expected "
                             f"{sorted(expected) if expected else 'allowed'}: {answer.text[:160]}")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)


def _ending_the_session_last(row) -> tuple:
    (method, template), _ = row
    return template in ("/api/v1/auth/revoke", "/api/v1/auth/password"), method, template


def _fresh_token(live, role: str) -> str:
    from tests.api.conftest import PASSWORD
    answer = live.client().post("/api/v1/auth/token", data={"username": role, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


@pytest.mark.parametrize("role", sorted(SIGNED_IN))
def test_no_reporter_leaks(live, cases, role):
    """Every read that carries case data, for every role: the raw name and phone appear
    only for the roles that must call the reporter back."""
    client = live.client()
    client.headers["Authorization"] = "Bearer " + _fresh_token(live, role)  # the matrix revoked some
    reads = ["/api/v1/cases?per_page=200", "/api/v1/cases?queue=mine", "/api/v1/cases?q=路灯",
             f"/api/v1/public/cases/{cases['A']['number']}", "/open311/v2/requests.json",
             "/open311/v2/requests.xml", "/open311/v2/servicerequestupdates.json"]
    for name in ("A", "B"):
        reads += [f"/api/v1/cases/{cases[name]['id']}", f"/api/v1/cases/{cases[name]['id']}/events"]
    for path in reads:
        answer = client.get(path)
        assert answer.status_code in (200, 404), (path, answer.status_code, answer.text[:200])
        text = answer.text
        for name, phone, person, entitled in (("A", A_PHONE, A_NAME, REPORTER_A), ("B", B_PHONE, B_NAME, REPORTER_B)):
            if role not in entitled:
                assert phone not in text and person not in text, f"{role} sees {name}'s reporter at {path}"
    for name, entitled in (("A", REPORTER_A), ("B", REPORTER_B)):
        answer = client.get(f"/api/v1/cases/{cases[name]['id']}")
        if answer.status_code == 200:
            assert answer.json()["reporter_masked"] is (role not in entitled), (role, name)
