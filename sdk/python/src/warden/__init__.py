"""Warden for Python: the policy kernel's portable core module, run by wasmtime.

>>> import warden
>>> w = warden.Warden.from_preset("production-planner-pro")
>>> d = w.validate({"firstName": "Ada", "lastName": "Lovelace", "email": "nope",
...                 "password": "Tr0ub4dor&3x!", "organization": "acme"}, today="2026-11-22")
>>> d["valid"], d["violations"][0]["code"]
(False, 'invalid_email')

Decisions are plain ``dict``s of the contract's JSON shape; a request that cannot be
evaluated raises a :class:`WardenError` carrying ``code``, ``path``, ``message``, ``help``.
A :class:`Warden` is thread-safe: it lends calls a pooled instance (at most ``pool_size``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any

from ._runtime import (
    ABI_MAJOR,
    DEFAULT_FUEL,
    DEFAULT_MAX_MEMORY,
    DEFAULT_POOL_TIMEOUT,
    MAX_REQUEST_BYTES,
    Pool,
    Runtime,
    _encode,
    default_pool_size,
)
from .errors import (
    ClosedError,
    InvalidInputError,
    PolicyError,
    UnsupportedError,
    WardenBaseError,
    WardenError,
    WardenRuntimeError,
)

__all__ = [
    "ABI_MAJOR",
    "DEFAULT_FUEL",
    "DEFAULT_MAX_MEMORY",
    "MAX_REQUEST_BYTES",
    "ClosedError",
    "InvalidInputError",
    "PolicyError",
    "Runtime",
    "UnsupportedError",
    "Warden",
    "WardenBaseError",
    "WardenError",
    "WardenRuntimeError",
    "default_runtime",
    "evaluate",
]

Json = Any

_default_lock = threading.Lock()
_default_runtime: Runtime | None = None


def default_runtime() -> Runtime:
    """The process-wide runtime (the packaged module with default limits), made on first use
    (and again after it was closed)."""
    global _default_runtime
    with _default_lock:
        if _default_runtime is None or _default_runtime.closed:
            _default_runtime = Runtime()
        return _default_runtime


def _refuse_constant(name: str) -> Any:
    """``json.loads`` reads ``NaN`` and ``Infinity``, which are not JSON: refused."""
    raise ValueError(f"{name} is not a JSON value")


def _flag(value: Any, path: str) -> bool:
    """A boolean option, or ``InvalidInputError`` at its path (``"yes"`` is not ``True``)."""
    if not isinstance(value, bool):
        raise InvalidInputError(
            "invalid_input",
            f"expected true or false, not a value of type {type(value).__name__}",
            path,
        )
    return value


def _pool_size(size: int | None) -> int:
    return size if size is not None else default_pool_size()


class Warden:
    """A compiled policy: load once, then call from any thread.

    Build one with :meth:`from_preset` or :meth:`from_policy`. Every method returns the
    decision as a ``dict`` or raises :class:`WardenError`. After :meth:`close` (or its
    runtime's), every call raises :class:`ClosedError`.
    """

    def __init__(
        self,
        spec: dict | bytes,
        *,
        runtime: Runtime | None = None,
        pool_size: int | None = None,
        pool_timeout: float = DEFAULT_POOL_TIMEOUT,
    ) -> None:
        self._pool = Pool(runtime or default_runtime(), spec, _pool_size(pool_size), pool_timeout)
        # Compile once now, so that a bad policy fails here and not at the first call.
        with self._pool.borrow():
            pass
        self._policy_hash: str = self._pool.policy_hash or ""

    @property
    def policy_hash(self) -> str:
        """The policy's hash (``sha256:`` and 64 hex digits) as the module reported it on
        loading: the hash every decision carries in ``policy``. (The module exposes no name
        or version of the policy.)"""
        return self._policy_hash

    @classmethod
    def from_preset(cls, name: str, **options: Any) -> Warden:
        """A preset by name (``"crm"``) or seed number (``"003"``)."""
        return cls({"preset": name}, **options)

    @classmethod
    def from_policy(cls, document: dict | str | bytes, **options: Any) -> Warden:
        """A policy document (``"warden": 1``), as a dict or JSON text (``bytes``: UTF-8).

        Text is checked to be one JSON value, then passed to the module as written, so that
        the module judges it as the other SDKs send it: a duplicate key is refused
        (``invalid_input`` at its object's path, ``policy.fields.firstName``), not resolved
        to its last value as ``json.loads`` would."""
        if not isinstance(document, (str, bytes)):
            return cls({"policy": document}, **options)
        if isinstance(document, bytes):
            try:
                document = document.decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidInputError(
                    "invalid_input", "the policy document is not valid UTF-8", "policy"
                ) from None
        try:
            parsed = json.loads(document, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as e:  # JSONDecodeError, NaN, too deep
            raise InvalidInputError(
                "invalid_input", f"the policy document is not JSON: {e}", "policy"
            ) from None
        # What the text cannot carry as written (a lone surrogate) is refused at its path,
        # as for a dict; the text itself is what is sent.
        _encode({"policy": parsed})
        return cls(b'{"policy":' + document.encode() + b"}", **options)

    def evaluate_request(self, request: dict) -> Json:
        """Any request of the contract without ``preset``/``policy``: ``{op, lang?, input}``.

        A request whose JSON encoding is above :data:`MAX_REQUEST_BYTES` raises
        :class:`WardenError` ``limit_exceeded`` (path ``""``) before any call into the
        instance, which stays in the pool."""
        with self._pool.borrow() as (instance, handle):
            return instance.evaluate(handle, request)

    def evaluate(self, op: str, input: Json, lang: str | None = None) -> Json:
        """Any operation of the contract (``"import"``, ``"bulk"``, ``"delete"``, ...)."""
        request: dict = {"op": op, "input": input}
        if lang is not None:
            request["lang"] = lang
        return self.evaluate_request(request)

    def validate(
        self,
        user: dict,
        *,
        today: str,
        mode: str | None = None,
        facts: dict | None = None,
        mfa: bool = False,
        lang: str | None = None,
    ) -> Json:
        """Validates a user record: ``valid``, ``complete``, ``violations``, ``checks``, ..."""
        input: dict = {"user": user, "today": today}
        if mode is not None:
            input["mode"] = mode
        if facts is not None:
            input["facts"] = facts
        if _flag(mfa, "input.mfa"):
            input["mfa"] = True
        return self.evaluate("validate", input, lang)

    def check_password(
        self,
        password: str,
        *,
        user: dict | None = None,
        mfa: bool = False,
        lang: str | None = None,
    ) -> Json:
        """Checks a password on its own: ``valid``, ``violations``, ``score``, ``checklist``."""
        input: dict = {"password": password}
        if user is not None:
            input["user"] = user
        if _flag(mfa, "input.mfa"):
            input["mfa"] = True
        return self.evaluate("password", input, lang)

    def authorize(self, actor: dict, action: str, target: dict, *, now: str, **extra: Json) -> Json:
        """Decides one action (``decision``: ``allow``/``deny``); ``extra``: ``change``,
        ``directory``."""
        return self.evaluate(
            "authorize", {"actor": actor, "action": action, "target": target, "now": now, **extra}
        )

    def scope(self, actor: dict, action: str, *, now: str, sql: dict | None = None) -> Json:
        """The filter of targets the actor may reach; with ``sql`` (``{}`` for the defaults)
        also rendered as a parameterised SQL ``WHERE`` clause (``sql.sql``, ``sql.params``)."""
        input: dict = {"actor": actor, "action": action, "now": now}
        if sql is not None:
            input["sql"] = sql
        return self.evaluate("scope", input)

    def transition(self, request: dict, *, now: str, lang: str | None = None) -> Json:
        """Moves an account to another status: ``request`` has ``actor``, ``target``, ``to``,
        and ``reason``, ``durationDays``, ``directory``, ... as the policy needs. A
        ``request`` that is not a mapping (``None``, a list, a string) raises
        :class:`InvalidInputError` at ``input``, as the Go and Java SDKs refuse it."""
        if not isinstance(request, Mapping):
            raise InvalidInputError(
                "invalid_input",
                f"the request must be an object, not a value of type {type(request).__name__}",
                "input",
            )
        return self.evaluate("transition", {**request, "now": now}, lang)

    def login(
        self,
        account: dict,
        *,
        now: str,
        organization: dict | None = None,
        facts: dict | None = None,
    ) -> Json:
        """The login gate: may this account log in now."""
        input: dict = {"account": account, "now": now}
        if organization is not None:
            input["organization"] = organization
        if facts is not None:
            input["facts"] = facts
        return self.evaluate("login", input)

    def close(self) -> None:
        """Releases the pooled instances; later calls raise :class:`ClosedError`, calls in
        flight complete. Closing again does nothing."""
        self._pool.close()

    def __enter__(self) -> Warden:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def evaluate(request: dict, *, runtime: Runtime | None = None) -> Json:
    """Evaluates a full contract request that names its policy (``preset`` or ``policy``),
    compiled for this call only. Prefer a :class:`Warden` for repeated calls."""
    pool = (runtime or default_runtime()).raw_pool()
    with pool.borrow() as (instance, handle):
        return instance.evaluate(handle, request)
