"""Creating, storing and checking bearer tokens; only SHA-256 hashes of tokens are ever stored."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from wearhouse.settings import Settings


class Role(StrEnum):
    """What a token may do: ingest only, its own data, gold without PII, everything."""

    device = "device"
    user = "user"
    analyst = "analyst"
    admin = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts as."""

    token_id: str
    role: Role
    user_id: str | None = None


@dataclass(frozen=True, slots=True)
class _Stored:
    token_id: str
    sha256: str
    role: str
    user_id: str | None
    created_at: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    """Tokens in WEARHOUSE_HOME/tokens.json; re-read when the file changes, so new tokens work at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._mtime: float | None = None
        self._by_hash: dict[str, _Stored] = {}

    @classmethod
    def for_settings(cls, settings: Settings) -> TokenStore:
        """The token store of a Wearhouse home."""
        return cls(settings.home.resolve() / "tokens.json")

    def create(self, role: Role, user_id: str | None = None) -> tuple[str, Principal]:
        """Make a new token; the plain token is returned once and never stored."""
        if role is Role.user and not user_id:
            raise ValueError("a user token needs --user-id: it sees only that user's data")
        token = "wh_" + secrets.token_urlsafe(32)
        stored = _Stored(
            token_id=secrets.token_hex(6),
            sha256=_hash(token),
            role=role.value,
            user_id=user_id,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        with self._lock:
            entries = self._read()
            entries.append(stored)
            self._write(entries)
        return token, Principal(stored.token_id, role, user_id)

    def revoke(self, token_id: str) -> bool:
        """Remove a token by its id; True when it existed."""
        with self._lock:
            entries = self._read()
            kept = [e for e in entries if e.token_id != token_id]
            self._write(kept)
        return len(kept) != len(entries)

    def list(self) -> list[dict[str, str | None]]:
        """Every token's id, role, user and creation time (never the hash)."""
        return [
            {
                "token_id": e.token_id,
                "role": e.role,
                "user_id": e.user_id,
                "created_at": e.created_at,
            }
            for e in self._read()
        ]

    def authenticate(self, token: str) -> Principal | None:
        """The principal of a presented token, or None when it is unknown."""
        self._refresh()
        stored = self._by_hash.get(_hash(token))
        if stored is None:
            return None
        return Principal(stored.token_id, Role(stored.role), stored.user_id)

    def _refresh(self) -> None:
        try:
            mtime = self.path.stat().st_mtime
        except FileNotFoundError:
            self._by_hash, self._mtime = {}, None
            return
        if mtime != self._mtime:
            with self._lock:
                self._by_hash = {e.sha256: e for e in self._read()}
                self._mtime = mtime

    def _read(self) -> list[_Stored]:
        if not self.path.exists():
            return []
        return [_Stored(**item) for item in json.loads(self.path.read_text())]

    def _write(self, entries: list[_Stored]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps([asdict(e) for e in entries], indent=2))
        os.chmod(temporary, 0o600)
        temporary.replace(self.path)
