"""The user endpoints over real HTTP: lists and masking of staff phones, an admin's
creating, changing, disabling, password resets and signing out everywhere."""
from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import PASSWORD
from tests.api.test_reference_api import V1, admin, problem  # noqa: F401 — admin is a fixture

NEW_PASSWORD = "a new long password"


def sign_in(live, username: str, password: str = PASSWORD) -> httpx.Response:
    return httpx.post(live.url + V1 + "/auth/token", data={"username": username, "password": password}, timeout=30)


def token_of(live, username: str, password: str = PASSWORD) -> dict:
    answer = sign_in(live, username, password)
    assert answer.status_code == 200, answer.text
    return {"Authorization": "Bearer " + answer.json()["access_token"]}


def me(live, headers: dict) -> httpx.Response:
    return httpx.get(live.url + V1 + "/auth/me", headers=headers, timeout=30)


def add(admin, username: str, **fields) -> dict:  # noqa: F811
    body = {"username": username, "name": "测试人员", "role": "operator", "password": PASSWORD, **fields}
    answer = admin.post(V1 + "/users", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_list_and_filters(live):
    client = live.client("dispatcher")
    everyone = client.get(V1 + "/users").json()
    assert [u["username"] for u in everyone] == sorted(u["username"] for u in everyone)
    assert {"operator", "handler", "grid_worker", "citizen"} <= {u["username"] for u in everyone}
    handlers = client.get(V1 + "/users", params={"role": "handler"}).json()
    assert {u["username"] for u in handlers} == {"handler", "handler_zj", "handler_jyq"}
    in_cg = client.get(V1 + "/users", params={"department": "cg"}).json()
    assert [(u["username"], u["department"]["code"]) for u in in_cg] == [("handler", "cg")]
    worker = client.get(V1 + "/users/grid_worker").json()
    assert worker["grid_codes"] == [live.world.cells[0]] and worker["role"] == "grid_worker"
    problem(client.get(V1 + "/users/nobody"), 404, "user")
    problem(client.get(V1 + "/users", params={"role": "king"}), 422, "role")
    problem(client.get(V1 + "/users", params={"department": "nope"}), 404, "department")


def test_phones_are_masked_but_for_admins_and_hashes_never_shown(live, admin):  # noqa: F811
    add(admin, "phoned", phone="13900001111")
    assert admin.get(V1 + "/users/phoned").json()["phone"] == "13900001111"
    seen = live.client("dispatcher").get(V1 + "/users/phoned").json()
    assert seen["phone"] == "139****1111" and seen["phone_masked"] is True
    listing = live.client("handler").get(V1 + "/users").text
    assert "13900001111" not in listing and "password" not in listing and "$argon2" not in listing
    assert "$argon2" not in admin.get(V1 + "/users").text


def test_admin_creates_a_user_who_can_sign_in(live, admin):  # noqa: F811
    created = add(admin, "new_handler", role="handler", department="zj", name="王五")
    assert created["department"]["code"] == "zj" and created["active"]
    assert me(live, token_of(live, "new_handler")).json()["department_id"] == live.world.departments["zj"]
    by_id = add(admin, "by_id", role="handler", department=live.world.departments["cg"])
    assert by_id["department"]["code"] == "cg"
    no_password = add(admin, "no_password", password=None)
    assert no_password["username"] == "no_password"
    problem(sign_in(live, "no_password", PASSWORD), 401, "credentials")


@pytest.mark.parametrize("fields, status, field", [
    ({"username": "operator"}, 409, "username"),
    ({"role": "handler"}, 422, "department"),
    ({"role": "king"}, 422, "role"),
    ({"password": "short"}, 422, "password"),
    ({"phone": "call me"}, 422, "phone"),
    ({"username": "bad name!"}, 422, "username"),
    ({"department": "nope"}, 404, "department"),
    ({"is_admin": True}, 422, "is_admin"),
])
def test_create_refuses_with_the_field(live, admin, fields, status, field):  # noqa: F811
    body = {"username": "someone_else", "name": "某人", "role": "operator", **fields}
    problem(admin.post(V1 + "/users", json=body), status, field)


def test_disabling_signs_out_and_enabling_lets_in(live, admin):  # noqa: F811
    add(admin, "temp")
    headers = token_of(live, "temp")
    assert me(live, headers).status_code == 200
    disabled = admin.patch(V1 + "/users/temp", json={"active": False})
    assert disabled.status_code == 200 and disabled.json()["active"] is False
    problem(me(live, headers), 401, "token")
    problem(sign_in(live, "temp"), 401, "credentials")
    assert [u["username"] for u in admin.get(V1 + "/users", params={"active": False}).json()] == ["temp"]
    admin.patch(V1 + "/users/temp", json={"active": True})
    assert me(live, token_of(live, "temp")).status_code == 200


def test_changing_name_role_department_phone(live, admin):  # noqa: F811
    add(admin, "mover", phone="13800002222")
    changed = admin.patch(V1 + "/users/mover", json={"name": "李四", "role": "handler", "department": "jyq",
                                                     "phone": None})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["name"], body["role"], body["department"]["code"], body["phone"]) == ("李四", "handler", "jyq", None)
    problem(admin.patch(V1 + "/users/mover", json={"department": None}), 422, "department")  # a handler needs one
    problem(admin.patch(V1 + "/users/mover", json={"name": None}), 422, "name")
    problem(admin.patch(V1 + "/users/mover", json={"active": None}), 422, "active")
    problem(admin.patch(V1 + "/users/mover", json={"role": "king"}), 422, "role")
    problem(admin.patch(V1 + "/users/nobody", json={"name": "x"}), 404, "user")
    assert admin.get(V1 + "/users/mover").json()["department"]["code"] == "jyq"  # refusals changed nothing


def test_a_grid_worker_with_cells_keeps_the_role(live, admin):  # noqa: F811
    problem(admin.patch(V1 + "/users/grid_worker", json={"role": "operator"}), 409, "role")
    assert admin.get(V1 + "/users/grid_worker").json()["role"] == "grid_worker"


def test_admins_do_not_lock_themselves_out(live, admin):  # noqa: F811
    problem(admin.patch(V1 + "/users/admin", json={"active": False}), 403, "active")
    problem(admin.patch(V1 + "/users/admin", json={"role": "operator"}), 403, "role")
    assert admin.get(V1 + "/auth/me").json()["role"] == "admin"


def test_password_reset_ends_sessions(live, admin):  # noqa: F811
    add(admin, "forgetful")
    old = token_of(live, "forgetful")
    assert admin.post(V1 + "/users/forgetful/password", json={"password": NEW_PASSWORD}).status_code == 204
    problem(me(live, old), 401, "token")
    problem(sign_in(live, "forgetful"), 401)
    assert me(live, token_of(live, "forgetful", NEW_PASSWORD)).status_code == 200
    problem(admin.post(V1 + "/users/forgetful/password", json={"password": "short"}), 422, "password")
    problem(admin.post(V1 + "/users/nobody/password", json={"password": NEW_PASSWORD}), 404, "user")


def test_sign_out_everywhere(live, admin):  # noqa: F811
    add(admin, "roaming")
    first, second = token_of(live, "roaming"), token_of(live, "roaming")
    answer = admin.delete(V1 + "/users/roaming/tokens")
    assert answer.status_code == 200 and answer.json() == {"revoked": 2}
    problem(me(live, first), 401, "token")
    problem(me(live, second), 401, "token")
    assert admin.delete(V1 + "/users/roaming/tokens").json() == {"revoked": 0}
    assert me(live, token_of(live, "roaming")).status_code == 200  # the password still works
