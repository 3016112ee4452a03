"""``qkdnassist users``: add, list and remove users, set passwords, issue API tokens —
and who ``qkdnassist mcp`` acts as (``QKDN_USER``).

The rules (roles, hashing, the file) are :mod:`..access`'s; this module reads the
password and prints.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import TextIO

from ..access import Principal, Users, users_path
from ..config import Settings
from ..errors import AccessError
from .render import user_json

__all__ = ["stdio_principal", "users_command"]


def _password() -> str:
    """The new password: asked twice on a terminal, else the first line of stdin."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise AccessError("the passwords differ")
    return first


def users_command(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Run one ``users`` action."""
    users = Users(users_path(settings))
    if args.action == "add":
        collections = args.collections.split(",")
        record = users.add(args.name, args.role, collections, _password())
        out.write(f"added {record.name} ({record.role}: {', '.join(record.collections)}) to {users.path}\n")
    elif args.action == "passwd":
        users.passwd(args.name, _password())
        out.write(f"password of {args.name} changed\n")
    elif args.action == "token":
        out.write(users.token(args.name) + "\n")
    elif args.action == "remove":
        users.remove(args.name)
        out.write(f"removed {args.name}\n")
    else:
        records = list(users.records().values())
        if args.json:
            out.write(json.dumps([user_json(r) for r in records], ensure_ascii=False) + "\n")
        for r in records if not args.json else ():
            out.write(f"{r.name}  {r.role}  {','.join(r.collections)}  {len(r.token_hashes)} token(s)\n")
    return 0


def stdio_principal(settings: Settings) -> Principal | None:
    """Who ``qkdnassist mcp`` acts as: ``QKDN_USER`` of the users file; None (everything)
    when there is no users file.

    Raises:
        AccessError: a users file exists but ``QKDN_USER`` is unset or names no user.
    """
    users = Users(users_path(settings))
    records = users.records()
    if not records:
        return None
    if settings.user not in records:
        raise AccessError("the users file has users: set QKDN_USER to the user 'qkdnassist mcp' acts as")
    return records[settings.user].principal()
