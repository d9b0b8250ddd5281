"""The portable core module on wasmtime: one compiled module, bounded pools of instances.

The ABI is specified in ``component/ABI.md`` of the Warden repository. Memory is copied
through ``Memory.read``/``Memory.write`` (range-checked), never through raw pointers.
"""

from __future__ import annotations

import json
import math
import os
import queue
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from importlib import resources
from typing import Any

import wasmtime

from .errors import ClosedError, InvalidInputError, WardenError, WardenRuntimeError

#: The ABI major version this SDK speaks; any minor of it is accepted.
ABI_MAJOR = 1
#: Default memory limit of one instance: 256 MiB.
DEFAULT_MAX_MEMORY = 256 << 20
#: Default fuel of one call (about 1500 times what the largest conformance vector uses).
DEFAULT_FUEL = 10_000_000_000
#: Default seconds to wait for a free instance when the pool is at its bound.
DEFAULT_POOL_TIMEOUT = 30.0
#: The largest request the module takes, in bytes of its JSON encoding: 64 MiB, the module's
#: ``MAX_INPUT_BYTES`` (the largest buffer ``warden_alloc`` hands out). A larger request is
#: refused before any call into the instance (:func:`_check_size`).
MAX_REQUEST_BYTES = 64 << 20

_STATUS_OK = 0
_STATUS_ERROR = 1

_TRAP_CODES = {
    wasmtime.TrapCode.OUT_OF_FUEL: "out_of_fuel",
    wasmtime.TrapCode.STACK_OVERFLOW: "stack_overflow",
    wasmtime.TrapCode.MEMORY_OUT_OF_BOUNDS: "memory_out_of_bounds",
    # The module aborts (an ``unreachable`` trap) when an allocation inside a call goes past
    # the memory cap (component/ABI.md): ``aborted`` in all three SDKs.
    wasmtime.TrapCode.UNREACHABLE: "aborted",
    wasmtime.TrapCode.INTERRUPT: "interrupted",
}


#: Nesting beyond this many levels is reported as too deep when a request cannot be encoded.
_MAX_ENCODE_DEPTH = 512


_NON_FINITE = "the number is not finite (NaN and infinities have no JSON form)"
_TOO_MANY_DIGITS = "the integer has too many digits to be written as JSON"

#: A float holding a whole number below this magnitude is sent as that integer (``7.0`` as
#: ``7``), as Go's encoding/json writes it: the module reads ``7.0`` as a float and refuses it
#: where it expects a count, and the conformance vectors' rule says ``1`` matches ``1.0``.
_WHOLE_FLOAT_LIMIT = 1e21


def _writable_int(v: int) -> bool:
    """Whether ``str(v)`` works: CPython refuses ints of more than 4300 digits (by default)."""
    try:
        int.__repr__(v)
    except ValueError:
        return False
    return True


def _whole(v: float) -> int | float:
    """A whole float as the integer Go's encoding/json writes for it (its shortest decimal
    digits: ``7.0`` -> ``7``); any other float (``7.5``, ``-0.0``, ``1e21``) as it is."""
    negative_zero = v == 0 and math.copysign(1.0, v) < 0
    if v.is_integer() and abs(v) < _WHOLE_FLOAT_LIMIT and not negative_zero:
        return int(Decimal(repr(v)))
    return v


def _prepare(value: Any, path: str = "", depth: int = 0) -> Any:
    """The request as it is sent: whole floats as integers (:func:`_whole`), copying only the
    containers that change; a ``None`` or ``bool`` key (``json.dumps`` would write ``"null"``
    or ``"true"``, indistinguishable from a key of that name) raises ``InvalidInputError`` at
    its map's path. Nesting beyond the encoder's bound is left to :func:`_encode`."""
    if isinstance(value, float):
        return _whole(value) if math.isfinite(value) else value
    if depth > _MAX_ENCODE_DEPTH:
        return value
    if isinstance(value, dict):
        out = None
        for k, item in value.items():
            if k is None or isinstance(k, bool):
                raise InvalidInputError(
                    "invalid_input", f"a key of type {type(k).__name__} cannot be a JSON key", path
                )
            if isinstance(item, (dict, list, tuple, float)):
                new = _prepare(item, _child(path, k), depth + 1)
                if new is not item:
                    if out is None:
                        out = dict(value)
                    out[k] = new
        return value if out is None else out
    if isinstance(value, (list, tuple)):
        items = None
        for i, item in enumerate(value):
            if isinstance(item, (dict, list, tuple, float)):
                new = _prepare(item, f"{path}[{i}]", depth + 1)
                if new is not item:
                    if items is None:
                        items = list(value)
                    items[i] = new
        return value if items is None else items
    return value


def _child(path: str, key: object) -> str:
    text = key.encode("utf-8", "backslashreplace").decode() if isinstance(key, str) else str(key)
    return f"{path}.{text}" if path else text


def _unencodable(value: Any) -> tuple[str, str] | None:
    """The first value JSON cannot carry, as ``(path, why)``; an iterative walk (no recursion),
    so that it also locates a nesting too deep for ``json.dumps``."""
    stack: list[tuple[str, Any, int]] = [("", value, 0)]
    while stack:
        path, v, depth = stack.pop()
        if depth > _MAX_ENCODE_DEPTH:
            return path, f"the request nests deeper than {_MAX_ENCODE_DEPTH} levels"
        if isinstance(v, str):
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:
                return path, "the string is not valid Unicode (it holds a lone surrogate)"
        elif isinstance(v, float) and not math.isfinite(v):
            return path, _NON_FINITE
        elif isinstance(v, int) and not isinstance(v, bool) and not _writable_int(v):
            return path, _TOO_MANY_DIGITS
        elif isinstance(v, dict):
            children = []
            for k, item in v.items():
                if k is None or isinstance(k, bool) or not isinstance(k, (str, int, float)):
                    return path, f"a key of type {type(k).__name__} cannot be a JSON key"
                if isinstance(k, int) and not _writable_int(k):
                    return path, _TOO_MANY_DIGITS
                if isinstance(k, str):
                    try:
                        k.encode("utf-8")
                    except UnicodeEncodeError:
                        return _child(path, k), "the key is not valid Unicode (a lone surrogate)"
                elif isinstance(k, float) and not math.isfinite(k):
                    return _child(path, k), _NON_FINITE
                children.append((_child(path, k), item, depth + 1))
            stack.extend(reversed(children))
        elif isinstance(v, (list, tuple)):
            stack.extend(
                (f"{path}[{i}]", item, depth + 1) for i, item in reversed(list(enumerate(v)))
            )
        elif not (v is None or isinstance(v, (int, float))):
            return path, f"a value of type {type(v).__name__} is not JSON"
    return None


def _encode(value: Any) -> bytes:
    """The request as UTF-8 JSON, or ``InvalidInputError`` at the path of what JSON cannot
    carry (a lone surrogate, a ``set``, a NaN or an infinity, a nesting too deep, a cycle)."""
    try:
        sent = _prepare(value)
    except RecursionError:
        sent = value  # json.dumps below fails on it too, and _unencodable says where
    try:
        # allow_nan=False: json.dumps would otherwise write NaN and Infinity, which are not JSON.
        return json.dumps(sent, ensure_ascii=False, allow_nan=False).encode()
    except (TypeError, ValueError, RecursionError) as e:  # UnicodeEncodeError is a ValueError
        found = _unencodable(value)
        path, why = found if found else ("", f"the request cannot be encoded as JSON: {e}")
        raise InvalidInputError("invalid_input", why, path) from None


def _check_size(data: bytes) -> None:
    """Refuses a request larger than the module takes (:data:`MAX_REQUEST_BYTES`) as
    :class:`WardenError` ``limit_exceeded`` at path ``""``: a refusal of the request, raised
    before any call into the instance, so the instance stays in its pool."""
    if len(data) > MAX_REQUEST_BYTES:
        raise WardenError(
            "limit_exceeded",
            f"a request has at most {MAX_REQUEST_BYTES} bytes; this one has {len(data)}",
            "",
        )


def _fault(trap: wasmtime.Trap) -> WardenRuntimeError:
    """Maps a trap by its code (never by its message)."""
    code = _TRAP_CODES.get(trap.trap_code, "trap") if trap.trap_code is not None else "trap"
    return WardenRuntimeError(code, f"the module trapped ({code}); the instance was discarded")


def default_pool_size() -> int:
    """The CPUs this process may run on (its affinity: a container's limit where the
    platform tells it), not the host's count: each instance may hold up to ``max_memory``."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


class Runtime:
    """A compiled module and the limits every instance of it gets.

    Compiling takes a moment: create one runtime per process and share it (it is
    thread-safe). ``max_memory`` bounds each instance's memory in bytes; ``fuel`` bounds
    each call. An instance whose memory grew past a quarter of ``max_memory`` (a large
    request: wasm memory never shrinks) is dropped after its call rather than kept idle.

    :meth:`close` (or leaving a ``with`` block) drops the instances of the runtime and of
    every :class:`~warden.Warden` loaded on it; later calls raise :class:`ClosedError`.
    """

    def __init__(
        self,
        wasm: bytes | None = None,
        *,
        max_memory: int = DEFAULT_MAX_MEMORY,
        fuel: int = DEFAULT_FUEL,
    ) -> None:
        if max_memory <= 0 or fuel <= 0:
            raise ValueError("max_memory and fuel must be positive")
        if wasm is None:
            wasm = resources.files(__package__).joinpath("warden.wasm").read_bytes()
        config = wasmtime.Config()
        config.consume_fuel = True
        self.engine = wasmtime.Engine(config)
        try:
            self.module = wasmtime.Module(self.engine, wasm)
        except wasmtime.WasmtimeError as e:
            raise WardenRuntimeError(
                "instantiation_failed", f"the module does not compile: {e}"
            ) from None
        self.max_memory = max_memory
        self.fuel = fuel
        self._init_state()

    def _init_state(self) -> None:
        self._lock = threading.RLock()  # reentrant: raw_pool makes a Pool, which registers
        self._raw: Pool | None = None
        self._closed = False
        self._pools: weakref.WeakSet[Pool] = weakref.WeakSet()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def _register(self, pool: Pool) -> None:
        with self._lock:
            self._pools.add(pool)

    def raw_pool(self) -> Pool:
        """The pool of policy-less instances that run one-shot requests (handle 0)."""
        with self._lock:
            if self._closed:
                raise ClosedError("closed", "the runtime was closed")
            if self._raw is None:
                self._raw = Pool(self, None, default_pool_size(), DEFAULT_POOL_TIMEOUT)
            return self._raw

    def close(self) -> None:
        """Drops the idle instances of this runtime and of every Warden loaded on it; later
        calls on either raise :class:`ClosedError`, calls in flight complete. Closing again
        does nothing; runtimes made by :meth:`with_limits` are not closed with this one."""
        with self._lock:
            self._closed = True
            pools = list(self._pools)
        for pool in pools:
            pool.close()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def with_limits(self, *, max_memory: int | None = None, fuel: int | None = None) -> Runtime:
        """The same compiled module with other limits (no recompilation)."""
        other = object.__new__(Runtime)
        other.engine, other.module = self.engine, self.module
        other._init_state()
        other.max_memory = self.max_memory if max_memory is None else max_memory
        other.fuel = self.fuel if fuel is None else fuel
        if other.max_memory <= 0 or other.fuel <= 0:
            raise ValueError("max_memory and fuel must be positive")
        return other


class Instance:
    """One instance of the module with its own store; not thread-safe (pools lend it out)."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._store = wasmtime.Store(runtime.engine)
        self._store.set_limits(memory_size=runtime.max_memory)
        self._store.set_fuel(runtime.fuel)
        try:
            instance = wasmtime.Instance(self._store, runtime.module, [])
        except wasmtime.Trap as trap:
            raise _fault(trap) from None
        except wasmtime.WasmtimeError as e:
            # Linking or limits (the initial memory above max_memory): not a trap.
            raise WardenRuntimeError("instantiation_failed", str(e)) from None
        exports = instance.exports(self._store)
        self._memory = self._export(exports, "memory", wasmtime.Memory)
        self.retain_memory = runtime.max_memory // 4
        self._check_abi(exports)
        self._alloc = self._export(exports, "warden_alloc", wasmtime.Func)
        self._free = self._export(exports, "warden_free", wasmtime.Func)
        self._load = self._export(exports, "warden_policy_load", wasmtime.Func)
        self._unload = self._export(exports, "warden_policy_free", wasmtime.Func)
        self._evaluate = self._export(exports, "warden_evaluate", wasmtime.Func)
        self._output = self._export(exports, "warden_output", wasmtime.Func)
        self._buf = 0
        self._cap = 0

    def outgrown(self) -> bool:
        """Whether a call grew this instance's memory past what a pool keeps idle."""
        return self._memory.data_len(self._store) > self.retain_memory

    @staticmethod
    def _export(exports: Any, name: str, kind: type) -> Any:
        try:
            value = exports[name]
        except KeyError:
            value = None
        if not isinstance(value, kind):
            raise WardenRuntimeError("abi_mismatch", f"the module does not export {name}")
        return value

    def _check_abi(self, exports: Any) -> None:
        """Reads the version globals first: each holds the address of a little-endian u32."""
        version = []
        for name in ("warden_abi_major", "warden_abi_minor"):
            try:
                address = int(exports[name].value(self._store)) & 0xFFFF_FFFF
            except (KeyError, AttributeError, TypeError, ValueError, wasmtime.WasmtimeError):
                raise WardenRuntimeError(
                    "abi_mismatch", "the module does not export a Warden ABI version"
                ) from None
            # Memory.read clamps a range past the end (it would read short): check it first.
            if address + 4 > self._memory.data_len(self._store):
                raise WardenRuntimeError(
                    "abi_mismatch", f"the ABI version global {name} points outside memory"
                )
            word = self._memory.read(self._store, address, address + 4)
            version.append(int.from_bytes(bytes(word), "little"))
        if version[0] != ABI_MAJOR:
            raise WardenRuntimeError(
                "abi_mismatch",
                f"the module speaks ABI {version[0]}.{version[1]}; this SDK speaks {ABI_MAJOR}.x",
            )
        self.abi = (version[0], version[1])

    def _call(self, func: Any, *args: int) -> int:
        self._store.set_fuel(self._runtime.fuel)
        try:
            return func(self._store, *args)
        except wasmtime.Trap as trap:
            raise _fault(trap) from None
        except wasmtime.WasmtimeError as e:
            # Not a trap but the runtime refusing the call (fuel it could not set, a store
            # in a bad state): the instance is discarded all the same.
            raise WardenRuntimeError("trap", f"the runtime refused the call: {e}") from None

    def _write(self, data: bytes) -> int:
        """Writes an encoded request into the instance's buffer; the size is checked first."""
        _check_size(data)  # before any call: a refusal leaves the instance as it was
        if len(data) > self._cap:
            if self._buf:
                self._call(self._free, self._buf, self._cap)
                self._buf = self._cap = 0
            cap = max(len(data), 4096)
            ptr = self._call(self._alloc, cap)
            if ptr == 0:  # below the module's limit: memory could not grow
                raise WardenRuntimeError(
                    "alloc_failed", f"no room for a request of {len(data)} bytes"
                )
            self._buf, self._cap = ptr, cap
        self._memory.write(self._store, data, self._buf)
        return self._buf

    def _result(self, status: int) -> Any:
        packed = self._call(self._output) & 0xFFFF_FFFF_FFFF_FFFF
        ptr, length = packed >> 32, packed & 0xFFFF_FFFF
        if ptr + length > self._memory.data_len(self._store):
            raise WardenRuntimeError("bad_output", "the module's output points outside memory")
        try:
            value = json.loads(bytes(self._memory.read(self._store, ptr, ptr + length)))
        except (ValueError, wasmtime.WasmtimeError) as e:
            raise WardenRuntimeError(
                "bad_output", f"the module's output is not JSON: {e}"
            ) from None
        if status == _STATUS_OK:
            return value
        if status == _STATUS_ERROR:
            raise WardenError.from_envelope(value)
        raise WardenRuntimeError("bad_output", f"unknown status {status}")

    def load(self, spec: dict | bytes) -> tuple[int, str]:
        """Compiles a policy (``{"preset": ...}`` or ``{"policy": ...}``, or that request
        already encoded): its handle, and its hash as the module reports it (the one every
        decision carries)."""
        data = spec if isinstance(spec, bytes) else _encode(spec)
        ptr = self._write(data)
        result = self._result(self._call(self._load, ptr, len(data)))
        try:
            handle, policy = int(result["handle"]), result["policy"]
        except (KeyError, TypeError, ValueError):
            handle, policy = 0, None
        if handle == 0 or not isinstance(policy, str) or not policy:
            raise WardenRuntimeError(
                "bad_output", "the module's load answer has no handle or policy hash"
            )
        return handle, policy

    def unload(self, handle: int) -> None:
        """Frees a loaded policy."""
        self._result(self._call(self._unload, handle))

    def evaluate(self, handle: int, request: Any) -> Any:
        """Evaluates a contract request (handle 0: the request names its policy)."""
        data = _encode(request)
        ptr = self._write(data)
        return self._result(self._call(self._evaluate, handle, ptr, len(data)))


class Pool:
    """A bounded, lazily filled pool of instances that all hold the same policy.

    At most ``size`` instances exist; a borrower waits up to ``timeout`` seconds for one.
    An instance that trapped, or whose call was interrupted by any exception other than a
    refusal (:class:`WardenError`), is dropped, never returned; so is one whose memory a
    large request grew (:meth:`Instance.outgrown`): the next borrower gets a fresh one.
    Once the pool or its runtime is closed, a borrower gets :class:`ClosedError`; a call
    already lent an instance completes, and the instance is dropped after it.
    """

    def __init__(
        self, runtime: Runtime, spec: dict | bytes | None, size: int, timeout: float
    ) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError("the pool size must be an integer of at least 1")
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, (int, float))
            or not (0 < timeout < math.inf)
        ):
            raise ValueError("the pool timeout must be a positive, finite number of seconds")
        self._runtime = runtime
        self._spec = spec
        self._idle: queue.LifoQueue = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)
        self._timeout = timeout
        self._closed = False
        self._lock = threading.Lock()  # orders giving an instance back against close
        #: The policy's hash as the module reported it on loading (``None``: no policy).
        self.policy_hash: str | None = None
        runtime._register(self)

    def _new(self) -> tuple:
        instance = Instance(self._runtime)
        handle = 0
        if self._spec is not None:
            handle, self.policy_hash = instance.load(self._spec)
        return instance, handle

    def _check_open(self) -> None:
        if self._runtime.closed:
            raise ClosedError("closed", "the runtime was closed")
        if self._closed:
            raise ClosedError("closed", "this Warden was closed")

    @contextmanager
    def borrow(self) -> Iterator[tuple]:
        """Lends an ``(instance, handle)`` pair for one or more calls."""
        self._check_open()
        if not self._slots.acquire(timeout=self._timeout):
            raise WardenRuntimeError("pool_timeout", f"no free instance within {self._timeout} s")
        try:
            self._check_open()  # closed while this borrower waited for a slot
            try:
                item = self._idle.get_nowait()
            except queue.Empty:
                item = self._new()
            try:
                yield item
            except WardenRuntimeError:
                item = None  # trapped or broken: drop it
                raise
            except WardenError:
                raise  # a refusal (an error envelope): the instance is sound
            except BaseException:
                # Anything else (KeyboardInterrupt mid-write, MemoryError, ...) may have left
                # the instance half-way through a call: never lend it again.
                item = None
                raise
            finally:
                if item is not None and not item[0].outgrown():
                    with self._lock:
                        if not self._closed and not self._runtime.closed:
                            self._idle.put(item)
        finally:
            self._slots.release()

    def close(self) -> None:
        """Drops every idle instance; later calls raise :class:`ClosedError`. Idempotent."""
        with self._lock:
            self._closed = True
            while True:
                try:
                    self._idle.get_nowait()
                except queue.Empty:
                    return
