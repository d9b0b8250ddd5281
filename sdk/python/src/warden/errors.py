"""Typed errors of the Warden SDK.

Domain outcomes (an invalid record, a denied action) are decisions, returned as values.
An exception means the request could not be evaluated (:class:`WardenError`, carrying the
contract's error envelope: the caller's to mend) or the module could not run it
(:class:`WardenRuntimeError`: the service's). The two are siblings under
:class:`WardenBaseError`, so that ``except WardenError`` answering a client with a 400
never catches a fault of the runtime.
"""

from __future__ import annotations

from typing import Any


class WardenBaseError(Exception):
    """Every exception of the SDK: ``code`` (stable), ``message``, ``path`` and ``help``."""

    def __init__(self, code: str, message: str, path: str = "", help: str | None = None):
        super().__init__(f"{code} at `{path}`: {message}" if path else f"{code}: {message}")
        self.code = code
        self.path = path
        self.message = message
        self.help = help


class WardenError(WardenBaseError):
    """A request Warden refused: the contract's error envelope ``{code, path, message, help}``.

    ``code`` is stable (``invalid_input``, ``policy_error``, ``unsupported``,
    ``invalid_handle``, ``limit_exceeded``, or a rejection code such as ``unknown_action``);
    ``path`` is the key path in the request (``""`` for the whole request). A request whose
    JSON encoding is above the module's 64 MiB (``MAX_REQUEST_BYTES``) is refused by the SDK
    before the call, as ``limit_exceeded`` at ``""``.
    """

    def __init__(self, code: str, message: str, path: str = "", help: str | None = None):
        super().__init__(code, message, path, help)
        self._raw: dict | None = None

    @classmethod
    def from_envelope(cls, envelope: Any) -> WardenBaseError:
        """Builds the error from ``{"error": {...}}`` as the module returns it."""
        body = envelope.get("error") if isinstance(envelope, dict) else None
        if not isinstance(body, dict):
            return WardenRuntimeError(
                "bad_output", f"not an error envelope ({len(repr(envelope))} characters)"
            )
        code = str(body.get("code", ""))
        kind = _BY_CODE.get(code, WardenError)
        error = kind(
            code,
            str(body.get("message", "")),
            str(body.get("path", "")),
            body.get("help") if isinstance(body.get("help"), str) else None,
        )
        error._raw = envelope
        return error

    def to_envelope(self) -> dict:
        """The error as the contract renders it: ``{"error": {code, message, path, help?}}``,
        exactly as the module returned it (with any other key the contract adds)."""
        if self._raw is not None:
            return self._raw
        body: dict = {"code": self.code, "message": self.message, "path": self.path}
        if self.help is not None:
            body["help"] = self.help
        return {"error": body}


class InvalidInputError(WardenError):
    """The request or its input does not have the expected shape (``invalid_input``)."""


class PolicyError(WardenError):
    """The policy document or preset name is unusable (``policy_error``)."""


class UnsupportedError(WardenError):
    """The operation needs something the policy does not define (``unsupported``)."""


class WardenRuntimeError(WardenBaseError):
    """The module could not run the request; the instance that ran it is discarded.

    Codes (the same event has the same code in the Go and Java SDKs):

    - from the trap code: ``out_of_fuel`` (the per-call fuel ran out), ``stack_overflow``,
      ``memory_out_of_bounds``, ``aborted`` (the module stopped itself with an
      ``unreachable`` trap: an allocation inside the call went past the memory cap, or
      another of its panics),
      ``interrupted`` (wasmtime's ``INTERRUPT`` trap), ``trap`` (any other trap, or the
      runtime refusing the call);
    - from the SDK: ``alloc_failed`` (no room for a request within the module's size limit:
      memory could not grow), ``abi_mismatch`` (the module's ABI version is not supported,
      or an export is missing), ``instantiation_failed`` (the module does not compile, or an
      instance of it cannot be made), ``pool_timeout`` (no free instance within the pool's
      ``pool_timeout``), ``bad_output`` (the module's output is not what the ABI specifies),
      ``closed`` (:class:`ClosedError`).
    """


class ClosedError(WardenRuntimeError):
    """A call on a closed :class:`~warden.Warden` or :class:`~warden.Runtime` (or on a Warden
    of a closed runtime): code ``closed``."""


_BY_CODE = {
    "invalid_input": InvalidInputError,
    "policy_error": PolicyError,
    "unsupported": UnsupportedError,
}
