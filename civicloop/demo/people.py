"""The demo's people: staff accounts for every role, 一格一员 grid workers, a few citizens,
and generated reporters. Every name and phone number is made up from a seeded random
generator; phone numbers start with 100, a prefix no Chinese carrier issues, so none can
reach a real person."""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from civicloop.auth.service import hash_password
from civicloop.cases.lifecycle import Actor, Role
from civicloop.departments.models import Department
from civicloop.regions.models import GridCell
from civicloop.users.models import User
from civicloop.users.service import GRID_WORKER_PREFIX, assign_grid_workers, create_user

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建文斌宇浩凯秀云志明海燕晨欣雪梅琳婷波鑫峰健俊帅晶慧颖倩佳琪子涵梓轩浩然思远"
HANDLER_PREFIX = "h-"

# Every demo account signs in with this password. It is hashed once (argon2id) and the
# hash shared by all demo accounts, because hashing each of ten thousand grid workers'
# would take minutes; accounts made with `civicloop users` get hashes of their own.
DEMO_PASSWORD = "civicloop-demo"

# (username, role, what the account is for).
STAFF = (
    ("admin", Role.ADMIN, "管理员"),
    ("operator1", Role.OPERATOR, "12345受理员"),
    ("operator2", Role.OPERATOR, "12345受理员"),
    ("dispatcher1", Role.DISPATCHER, "派遣员"),
    ("dispatcher2", Role.DISPATCHER, "值班长"),
    ("supervisor1", Role.SUPERVISOR, "区督查室"),
    ("leader1", Role.SUPERVISOR, "分管副区长"),
    ("assessor1", Role.ASSESSOR, "考评员"),
    ("assessor2", Role.ASSESSOR, "考评员"),
)
CITIZENS = 6


def fake_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def fake_phone(rng: random.Random) -> str:
    return "100" + "".join(rng.choice("0123456789") for _ in range(8))


@dataclass
class People:
    """The actors the simulation acts as, looked up without touching the database."""
    staff: dict[str, Actor]                            # username -> actor
    handlers: dict[int, Actor]                         # department id -> its handler
    citizens: list[tuple[Actor, str, str]]             # (actor, name, phone)
    cell_workers: dict[str, tuple[int, str]] = field(default_factory=dict)  # cell code -> (user id, name)

    def grid_worker(self, cell_code: str) -> Actor:
        user_id, _ = self.cell_workers[cell_code]
        return Actor(user_id=user_id, role=Role.GRID_WORKER, grid_codes=frozenset({cell_code}))

    def of_role(self, role: Role) -> list[Actor]:
        return [a for a in self.staff.values() if a.role is role]


def create_people(session: Session, district_code: str, rng: random.Random) -> People:
    """Staff, one handler per department of the district, a grid worker per cell, citizens."""
    staff = {}
    for username, role, title in STAFF:
        user = create_user(session, username=username, name=f"{fake_name(rng)}（{title}）", role=role,
                           phone=fake_phone(rng))
        staff[username] = Actor(user_id=user.id, role=role)
    handlers = {}
    departments = session.scalars(select(Department).where(Department.district_code == district_code)
                                  .order_by(Department.id)).all()
    for dep in departments:
        user = create_user(session, username=HANDLER_PREFIX + dep.code, name=f"{fake_name(rng)}（{dep.name}）",
                           role=Role.HANDLER, department=dep.id, phone=fake_phone(rng))
        handlers[dep.id] = Actor(user_id=user.id, role=Role.HANDLER, department_id=dep.id)
    citizens = []
    for i in range(1, CITIZENS + 1):
        name, phone = fake_name(rng), fake_phone(rng)
        user = create_user(session, username=f"citizen{i}", name=name, role=Role.CITIZEN, phone=phone)
        citizens.append((Actor(user_id=user.id, role=Role.CITIZEN), name, phone))
    assign_grid_workers(session, district_code)
    workers = session.execute(select(GridCell.code, User.id, User.name).join(User, User.id == GridCell.worker_id)
                              .where(GridCell.district_code == district_code)).all()
    session.execute(update(User).values(password_hash=hash_password(DEMO_PASSWORD)))
    return People(staff, handlers, citizens, {code: (uid, name) for code, uid, name in workers})


@dataclass(frozen=True)
class AccountGroup:
    role: str
    what: str
    usernames: tuple[str, ...]


def accounts(session: Session) -> list[AccountGroup]:
    """The demo's accounts by role, read back from the database (for `civicloop demo --accounts`)."""
    users = session.execute(select(User.username, User.role, User.name).order_by(User.id)).all()
    groups: list[AccountGroup] = []
    titles = {u: t for u, _, t in STAFF}
    for username, role, _ in STAFF:
        if any(u.username == username for u in users):
            groups.append(AccountGroup(role.value, titles[username], (username,)))
    handlers = tuple(u.username for u in users if u.role == Role.HANDLER.value)
    workers = tuple(u.username for u in users if u.role == Role.GRID_WORKER.value)
    citizens = tuple(u.username for u in users if u.role == Role.CITIZEN.value)
    if handlers:
        groups.append(AccountGroup(Role.HANDLER.value, "承办单位, one per department: h-<department code>", handlers))
    if workers:
        groups.append(AccountGroup(Role.GRID_WORKER.value, f"网格员, one per grid cell: {GRID_WORKER_PREFIX}<cell code>",
                                   workers))
    if citizens:
        groups.append(AccountGroup(Role.CITIZEN.value, "市民 (app users who rate their own reports)", citizens))
    return groups
