"""Passwords (argon2id), sign-in tokens that expire and can be revoked, API keys for
Open311 clients, and per-client rate limits.

A token is 32 random bytes shown once; only its SHA-256 is stored, so a copy of the
database signs nobody in. Passwords are hashed with argon2id (argon2-cffi's defaults,
RFC 9106's second recommended profile), rehashed on sign-in when the parameters change.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from civicloop.auth.models import ApiToken, RateWindow
from civicloop.cases.lifecycle import Actor, Role
from civicloop.errors import InvalidInput, NotFound, RateLimited, Unauthorized
from civicloop.regions.models import GridCell
from civicloop.users.models import User
from civicloop.settings import get_settings, local_now
from civicloop.users.service import get_user

PASSWORD_MIN = 8
PASSWORD_MAX = 256
SESSION_HOURS = 12.0
_hasher = PasswordHasher()
# Verifying against this keeps a wrong username as slow as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


@dataclass(frozen=True)
class Principal:
    """Who is calling: the lifecycle's Actor plus what the API shows and audits."""
    actor: Actor
    username: str
    name: str
    token_id: int | None = None
    kind: str = "session"


def hash_password(password: str) -> str:
    if not isinstance(password, str) or not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise InvalidInput("password", f"{PASSWORD_MIN}–{PASSWORD_MAX} characters")
    return _hasher.hash(password)


def set_password(session: Session, user_ref: int | str, password: str) -> User:
    """Set a password; every token the user holds is revoked (a reset ends old sessions)."""
    user = get_user(session, user_ref)
    user.password_hash = hash_password(password)
    revoke_all(session, user.id, now=None)
    session.flush()
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _issue(session: Session, user: User, *, kind: str, now: dt.datetime, expires_at: dt.datetime | None,
           name: str | None = None) -> tuple[str, ApiToken]:
    secret = secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, kind=kind, name=name, token_hash=_digest(secret), created_at=now,
                   expires_at=expires_at)
    session.add(row)
    session.flush()
    return secret, row


def sign_in(session: Session, username: str, password: str, *, now: dt.datetime,
            hours: float = SESSION_HOURS) -> tuple[str, ApiToken, User]:
    """A session token for a right username and password; 401 otherwise, saying no more
    than that (which of the two was wrong is not told)."""
    user = session.scalar(select(User).where(User.username == (username or "").strip()))
    stored = user.password_hash if user is not None and user.active and user.password_hash else _DUMMY_HASH
    try:
        _hasher.verify(stored, password or "")
        ok = stored is not _DUMMY_HASH
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        raise Unauthorized("credentials", "wrong username or password, or the account is disabled")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    secret, row = _issue(session, user, kind="session", now=now, expires_at=now + dt.timedelta(hours=hours))
    return secret, row, user


def create_api_key(session: Session, user_ref: int | str, *, name: str, now: dt.datetime) -> tuple[str, ApiToken]:
    """A key that does not expire, for a machine client (an Open311 client, FixMyStreet)
    acting as `user_ref`; it can be revoked like any token."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput("name", "the client's name, 1–100 characters, is required")
    return _issue(session, get_user(session, user_ref), kind="api_key", now=now, expires_at=None, name=name)


_BY_DIGEST = (select(ApiToken.id, ApiToken.kind, ApiToken.expires_at, ApiToken.revoked_at, User.id.label("user_id"),
                     User.username, User.name, User.role, User.department_id, User.active)
              .join(User, User.id == ApiToken.user_id).where(ApiToken.token_hash == bindparam("digest")))


# Verified tokens, kept for settings.token_cache_seconds so that a burst of requests does
# not read the same token row each time. A revocation made in this process clears it at
# once; one made in another worker is seen here within that many seconds.
_verified: dict[str, tuple[float, Principal, dt.datetime | None]] = {}
_verified_lock = threading.Lock()


def forget_verified() -> None:
    with _verified_lock:
        _verified.clear()


def authenticate(session: Session, token: str, *, now: dt.datetime, kind: str | None = None) -> Principal:
    """The caller behind a bearer token or API key; 401 saying why not."""
    digest = _digest(token or "")
    hit_ = _verified.get(digest)
    if hit_ is not None and time.monotonic() - hit_[0] < get_settings().token_cache_seconds \
            and (hit_[2] is None or hit_[2] > now) and (kind is None or hit_[1].kind == kind):
        return hit_[1]
    principal, expires_at = _authenticate(session, digest if token else None, now=now, kind=kind)
    with _verified_lock:
        if len(_verified) > 10_000:
            _verified.clear()
        _verified[digest] = (time.monotonic(), principal, expires_at)
    return principal


def _authenticate(session: Session, digest: str | None, *, now: dt.datetime,
                  kind: str | None) -> tuple[Principal, dt.datetime | None]:
    row = session.execute(_BY_DIGEST, {"digest": digest}).one_or_none() if digest else None
    field = "api_key" if kind == "api_key" else "token"
    if row is None or (kind is not None and row.kind != kind):
        raise Unauthorized(field, "unknown; sign in at POST /api/v1/auth/token" if field == "token"
                           else "unknown API key")
    if row.revoked_at is not None:
        raise Unauthorized(field, "revoked; sign in again")
    if row.expires_at is not None and row.expires_at <= now:
        raise Unauthorized(field, f"expired at {row.expires_at:%Y-%m-%d %H:%M}; sign in again")
    if not row.active:
        raise Unauthorized(field, f"the account '{row.username}' is disabled")
    role = Role(row.role)
    grids = frozenset()
    if role is Role.GRID_WORKER:
        grids = frozenset(session.scalars(select(GridCell.code).where(GridCell.worker_id == row.user_id)))
    return (Principal(Actor(user_id=row.user_id, role=role, department_id=row.department_id, grid_codes=grids),
                      username=row.username, name=row.name, token_id=row.id, kind=row.kind), row.expires_at)


def revoke(session: Session, token_id: int, *, now: dt.datetime) -> None:
    forget_verified()
    found = session.execute(update(ApiToken).where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
                            .values(revoked_at=now)).rowcount
    if not found and session.get(ApiToken, token_id) is None:
        raise NotFound("token", f"no token {token_id}")


def revoke_all(session: Session, user_id: int, *, now: dt.datetime | None) -> int:
    """Revoke every live token of a user (sign out everywhere); returns how many."""
    forget_verified()
    return session.execute(update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
                           .values(revoked_at=now or local_now())).rowcount


def list_tokens(session: Session, user_id: int) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)))


def _window_start(now: dt.datetime, window_seconds: int) -> dt.datetime:
    return now.replace(microsecond=0) - dt.timedelta(seconds=int(now.timestamp()) % window_seconds)


def _refuse(start: dt.datetime, now: dt.datetime, limit: int, window_seconds: int) -> RateLimited:
    retry = max(1, round((start + dt.timedelta(seconds=window_seconds) - now).total_seconds()))
    return RateLimited("client", f"more than {limit} requests in {window_seconds} s from this client; "
                                 f"retry in {retry} s", retry_after=retry)


def check_rate(session: Session, key: str, *, now: dt.datetime, limit: int, window_seconds: int) -> None:
    """Refuse with 429 when the client has used up its window, without counting."""
    start = _window_start(now, window_seconds)
    used = session.scalar(select(RateWindow.count).where(RateWindow.key == key[:200],
                                                         RateWindow.window_start == start)) or 0
    if used >= limit:
        raise _refuse(start, now, limit, window_seconds)


def hit(session: Session, key: str, *, now: dt.datetime, limit: int, window_seconds: int) -> int:
    """Count one request of a client in the current fixed window, in the database so that
    every worker shares the count; refuse with 429 past `limit`. Returns the count."""
    start = _window_start(now, window_seconds)
    dialect = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}[session.get_bind().dialect.name]
    statement = (dialect(RateWindow).values(key=key[:200], window_start=start, count=1)
                 .on_conflict_do_update(index_elements=["key", "window_start"],
                                        set_={"count": RateWindow.count + 1})
                 .returning(RateWindow.count))
    count = session.execute(statement).scalar_one()
    if count > limit:
        raise _refuse(start, now, limit, window_seconds)
    return count


def prune_rate_windows(session: Session, *, before: dt.datetime) -> int:
    return session.execute(RateWindow.__table__.delete().where(RateWindow.window_start < before)).rowcount


