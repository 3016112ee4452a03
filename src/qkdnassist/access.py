"""Who may read what: collections, users with roles, hashed passwords and API tokens.

Every document belongs to one *collection*: the manifest's ``collection`` column when
it names one, else the top-level folder of its source under the corpus (``public/…``,
``ties/…``; a file at the top level is in ``public``). A user has a role — ``reader``
(reads its collections), ``editor`` (also uploads into them), ``admin`` (everything,
also removal and rebuilds) — and the collections it may read (``*``: all).

The users file (``QKDN_USERS``, default ``users.json`` beside the index folder) keeps
passwords and tokens hashed with argon2 (argon2-cffi), never in plain text. A token is
``qk_<user>_<secret>``: the user part finds the one hash to verify; a verified token is
remembered by its SHA-256 for the process, so an API request does not pay argon2's cost.

This module does not filter search results: :mod:`.search.scoped` does, with the
:class:`Principal` found here.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .config import Settings
from .errors import AccessError, ConfigError
from .limits import API_RATE_WINDOW

__all__ = [
    "ADMIN",
    "ROLES",
    "Authenticator",
    "Principal",
    "UserRecord",
    "Users",
    "collection_of",
    "users_path",
]

ROLES = ("reader", "editor", "admin")
LOGIN_ATTEMPTS = 5  # failed web log-ins a minute per user name before the rest are refused unchecked
ADMIN = "admin"
ALL_COLLECTIONS = "*"
PUBLIC = "public"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,63}$")  # no "_": it separates a token's parts


def collection_of(source: str, manifest: dict[str, str] | None = None) -> str:
    """The collection of the document at ``source`` (relative to the corpus)."""
    if manifest and manifest.get(source):
        return manifest[source]
    head, slash, _ = source.replace("\\", "/").partition("/")
    return head if slash and head else PUBLIC


@dataclass(frozen=True)
class Principal:
    """Who is asking: a name, a role and the collections it may read (None: all)."""

    name: str
    role: str = ADMIN
    collections: frozenset[str] | None = None

    def may_read(self, collection: str) -> bool:
        return self.collections is None or collection in self.collections

    def may_write(self, collection: str) -> bool:
        """Upload into ``collection``: editors and admins, of a collection they read."""
        return self.role in ("editor", ADMIN) and self.may_read(collection)

    @property
    def may_remove(self) -> bool:
        """Remove documents and rebuild: admins only."""
        return self.role == ADMIN


@dataclass
class UserRecord:
    """One user as the users file keeps it (hashes only)."""

    name: str
    role: str
    collections: list[str]
    password_hash: str = ""
    token_hashes: list[str] = field(default_factory=list)

    def principal(self) -> Principal:
        everything = ALL_COLLECTIONS in self.collections
        return Principal(self.name, self.role, None if everything else frozenset(self.collections))


def users_path(settings: Settings) -> Path:
    """Where the users file is: ``QKDN_USERS``, else ``users.json`` beside the index folder."""
    if settings.users:
        return Path(settings.users).expanduser()
    return settings.index.resolve().parent / "users.json"


class Users:
    """The users file: add, change and remove users; check passwords and tokens."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._verified: dict[str, str] = {}  # sha256 of a verified token → user name
        self._lock = threading.Lock()

    @staticmethod
    def _hasher() -> Any:
        from argon2 import PasswordHasher

        return PasswordHasher()

    def records(self) -> dict[str, UserRecord]:
        """Every user, by name (an absent file: none).

        Raises:
            ConfigError: the file cannot be read or is not a users file.
        """
        if not self.path.is_file():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return {u["name"]: UserRecord(**u) for u in data["users"]}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"cannot read the users file {self.path}: {exc}") from None

    def _save(self, records: dict[str, UserRecord]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        text = json.dumps({"users": [asdict(r) for r in records.values()]}, indent=2)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # hashes: owner only
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(temporary, self.path)
        self._verified.clear()

    def add(self, name: str, role: str, collections: list[str], password: str) -> UserRecord:
        """Add a user.

        Raises:
            AccessError: a bad name, role or empty collections, an empty password, or the user exists.
        """
        if not _NAME.match(name):
            raise AccessError("a user name is 1-64 letters, digits, '.' or '-', starting with a letter or digit")
        if role not in ROLES:
            raise AccessError(f"the role must be one of {', '.join(ROLES)}, not {role!r}")
        collections = [c.strip() for c in collections if c.strip()]
        if not collections:
            raise AccessError("give the user's collections (--collections C1,C2, or '*' for all)")
        if not password:
            raise AccessError("the password is empty")
        with self._lock:
            records = self.records()
            if name in records:
                raise AccessError(f"the user {name!r} exists already")
            records[name] = UserRecord(name, role, collections, self._hasher().hash(password))
            self._save(records)
            return records[name]

    def passwd(self, name: str, password: str) -> None:
        """Set a user's password (tokens stay valid).

        Raises:
            AccessError: no such user, or an empty password.
        """
        if not password:
            raise AccessError("the password is empty")
        with self._lock:
            records = self.records()
            self._known(records, name).password_hash = self._hasher().hash(password)
            self._save(records)

    def token(self, name: str) -> str:
        """A new API token for ``name`` (shown once; only its hash is kept).

        Raises:
            AccessError: no such user.
        """
        with self._lock:
            records = self.records()
            token = f"qk_{name}_{secrets.token_urlsafe(32)}"
            self._known(records, name).token_hashes.append(self._hasher().hash(token))
            self._save(records)
            return token

    def remove(self, name: str) -> None:
        """Remove a user (its tokens stop working).

        Raises:
            AccessError: no such user.
        """
        with self._lock:
            records = self.records()
            self._known(records, name)
            del records[name]
            self._save(records)

    def login(self, name: str, password: str) -> Principal | None:
        """The user, when ``password`` is theirs; else None (an unknown user costs the same)."""
        from argon2.exceptions import VerificationError

        record = self.records().get(name)
        stored = record.password_hash if record else self._hasher().hash("not a user")
        try:
            self._hasher().verify(stored, password)
        except VerificationError:
            return None
        return record.principal() if record else None

    def authenticate(self, token: str) -> Principal | None:
        """The user a token belongs to, else None."""
        from argon2.exceptions import VerificationError

        digest = hashlib.sha256(token.encode()).hexdigest()
        records = self.records()
        known = self._verified.get(digest)
        if known is not None:
            return records[known].principal() if known in records else None
        parts = token.split("_", 2)
        record = records.get(parts[1]) if len(parts) == 3 and parts[0] == "qk" else None
        for stored in record.token_hashes if record else ():
            try:
                self._hasher().verify(stored, token)
            except VerificationError:
                continue
            with self._lock:
                self._verified[digest] = record.name  # type: ignore[union-attr]
            return record.principal()  # type: ignore[union-attr]
        return None

    @staticmethod
    def _known(records: dict[str, UserRecord], name: str) -> UserRecord:
        if name not in records:
            raise AccessError(f"no user {name!r}")
        return records[name]


class Authenticator:
    """Who a request is, for the web server's ``/v1`` and ``/mcp`` and the web app's log-in.

    With users in the users file, a bearer token is one of theirs (:meth:`Users.authenticate`);
    else with ``QKDN_AUTH``, a token is a ``user:password`` pair of it and every user is
    an admin of everything (the shortcut); else no log-in is needed and everyone reads
    everything.
    """

    def __init__(self, settings: Settings) -> None:
        from .config import auth_users

        self.settings = settings
        self.users = Users(users_path(settings))
        self.has_users = bool(self.users.records())
        self.shortcut = not self.has_users and bool(auth_users(settings))
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    @property
    def required(self) -> bool:
        """Whether a request must say who it is."""
        return self.has_users or self.shortcut

    def describe(self) -> str:
        """One line for the start-up log: which log-in applies."""
        if self.has_users:
            return f"log-in: the users of {self.users.path} (roles and collections apply)"
        if self.shortcut:
            return "log-in: QKDN_AUTH — every user is an admin of every collection (no users file)"
        return "log-in: none — everyone reads every collection (set QKDN_AUTH or add users)"

    def from_token(self, token: str) -> Principal | None:
        """The principal a bearer token names, else None."""
        from .config import api_user

        if not token:
            return None
        if self.has_users:
            return self.users.authenticate(token)
        if self.shortcut:
            user = api_user(self.settings, token)
            return Principal(user) if user else None
        return None

    def web_login(self, name: str, password: str) -> bool:
        """The web app's log-in with a users file. The web app does not yet filter by
        collection nor check roles on uploads and removal, so only admins of every
        collection may log in there. After :data:`LOGIN_ATTEMPTS` failed attempts in a
        minute for one user name, further attempts are refused without being checked."""
        now = time.monotonic()
        with self._lock:
            recent = self._failures.setdefault(name, deque())
            while recent and recent[0] <= now - API_RATE_WINDOW:
                recent.popleft()
            if len(recent) >= LOGIN_ATTEMPTS:
                return False
        principal = self.users.login(name, password)
        if principal is None:
            with self._lock:
                recent.append(now)
            return False
        return principal.role == ADMIN and principal.collections is None
