"""The SDK's surface, typed errors, limits and pool."""

import re
import threading
from pathlib import Path

import pytest

import warden

TODAY = "2026-11-22"
NOW = "2026-11-22T10:00:00Z"
ADA = {
    "firstName": "Ada",
    "lastName": "Lovelace",
    "email": "not-an-email",
    "password": "Tr0ub4dor&3x!",
    "organization": "acme",
}


@pytest.fixture(scope="module")
def ppp():
    with warden.Warden.from_preset("production-planner-pro") as w:
        yield w


def test_validate_reports_violations_as_a_decision(ppp):
    d = ppp.validate(ADA, today=TODAY)
    assert d["valid"] is False
    assert [v["code"] for v in d["violations"]] == ["invalid_email"]
    assert d["policy"].startswith("sha256:")
    fr = ppp.validate(ADA, today=TODAY, lang="fr")
    assert fr["violations"][0]["message"] != d["violations"][0]["message"]


def test_check_password(ppp):
    d = ppp.check_password("password")
    assert d["valid"] is False
    assert "password_common" in [v["code"] for v in d["violations"]]
    assert ppp.check_password("Tr0ub4dor&3x!")["valid"] is True


def test_authorize_scope_transition_login():
    with warden.Warden.from_preset("hr-platform") as hr:
        actor = {"id": "m1", "organization": "hr", "manager": "d1", "roles": ["manager"]}
        d = hr.authorize(
            actor, "users.read", {"id": "e1", "organization": "hr", "manager": "m1"}, now=NOW
        )
        assert (d["decision"], d["scope"]) == ("allow", "team")
        s = hr.scope(actor, "users.read", now=NOW, sql={})
        assert s["sql"]["sql"] and isinstance(s["sql"]["params"], list)
    with warden.Warden.from_preset("rental-platform") as rent:
        d = rent.transition(
            {
                "actor": {"id": "adm", "organization": "rent", "roles": ["administrator"]},
                "target": {"id": "c1", "organization": "rent", "roles": ["customer"]},
                "to": "suspended",
                "durationDays": 7,
            },
            now=NOW,
        )
        assert d["deny"]["code"] == "reason_required"
    with warden.Warden.from_preset("000") as ppp:
        d = ppp.login(
            {"id": "u1", "organization": "acme", "status": "inactive"},
            now=NOW,
            organization={"id": "acme", "active": True},
        )
        assert (d["decision"], d["deny"]["code"]) == ("deny", "status_inactive")


def test_any_operation_and_the_raw_entry_point(ppp):
    d = ppp.evaluate(
        "effectiveStatus",
        {"account": {"id": "u1", "organization": "acme", "status": "active"}, "now": NOW},
    )
    raw = warden.evaluate(
        {
            "preset": "production-planner-pro",
            "op": "effectiveStatus",
            "input": {
                "account": {"id": "u1", "organization": "acme", "status": "active"},
                "now": NOW,
            },
        }
    )
    assert d == raw


def test_typed_errors_carry_the_envelope(ppp):
    with pytest.raises(warden.PolicyError) as e:
        warden.Warden.from_preset("acme-corp")
    assert (e.value.code, e.value.path) == ("policy_error", "")
    assert "crm" in e.value.help
    with pytest.raises(warden.InvalidInputError) as e:
        ppp.validate({"email": "a@b.c"}, today="yesterday")
    assert (e.value.code, e.value.path) == ("invalid_input", "input.today")
    with pytest.raises(warden.UnsupportedError):
        warden.Warden.from_preset("hr-platform").check_password("x")
    with pytest.raises(warden.PolicyError) as e:
        warden.Warden.from_policy('{"warden": 99}')
    assert e.value.message
    with pytest.raises(warden.InvalidInputError) as e:
        ppp.evaluate_request({"preset": "crm", "op": "password", "input": {"password": "x"}})
    assert e.value.path == "preset"


def test_fuel_is_finite_and_a_trapped_instance_is_replaced():
    rt = warden.default_runtime().with_limits(fuel=50_000)
    with pytest.raises(warden.WardenRuntimeError) as e:
        warden.Warden.from_preset("crm", runtime=rt)
    assert e.value.code == "out_of_fuel"
    # A runtime with enough fuel works, and keeps working after a trapped call.
    rt = warden.default_runtime().with_limits(fuel=warden.DEFAULT_FUEL)
    w = warden.Warden.from_preset("crm", runtime=rt, pool_size=1)
    rt.fuel = 1000
    with pytest.raises(warden.WardenRuntimeError) as e:
        w.check_password("correct horse battery staple")
    assert e.value.code == "out_of_fuel"
    rt.fuel = warden.DEFAULT_FUEL
    assert w.check_password("correct horse battery staple")["valid"] in (True, False)


def test_memory_is_finite():
    rt = warden.default_runtime().with_limits(max_memory=64 << 20)
    w = warden.Warden.from_preset("crm", runtime=rt, pool_size=1)
    with pytest.raises(warden.WardenRuntimeError) as e:
        w.check_password("x" * (40 << 20))
    # The 40 MiB request fits in the buffer; the module's copy of it inside the call does not,
    # and it aborts (an ``unreachable`` trap): ``aborted``, as in Go and Java.
    assert e.value.code == "aborted"
    assert w.check_password("correct horse battery staple")["policy"].startswith("sha256:")


def test_an_instance_a_large_request_grew_is_not_kept():
    rt = warden.default_runtime().with_limits(max_memory=32 << 20)
    w = warden.Warden.from_preset("crm", runtime=rt, pool_size=1)
    assert w.check_password("correct horse battery staple")["valid"] in (True, False)
    assert w._pool._idle.qsize() == 1
    # A request of 10 MiB grows the instance's memory past a quarter of 32 MiB.
    assert w.check_password("x" * (10 << 20))["valid"] is False
    assert w._pool._idle.qsize() == 0
    assert w.check_password("correct horse battery staple")["valid"] in (True, False)
    assert w._pool._idle.qsize() == 1


def test_a_request_above_the_modules_limit_is_a_refusal_and_the_instance_is_kept():
    w = warden.Warden.from_preset("crm", pool_size=1)
    assert w.check_password("correct horse battery staple")["valid"] in (True, False)
    assert w._pool._idle.qsize() == 1
    warm = w._pool._idle.queue[0]
    # One string field of 64 MiB: with the rest of the request, just above the limit.
    user = {"firstName": "x" * warden.MAX_REQUEST_BYTES, "lastName": "Lovelace"}
    with pytest.raises(warden.WardenError) as e:
        w.validate(user, today="2026-11-22")
    assert not isinstance(e.value, warden.WardenRuntimeError)
    assert e.value.code == "limit_exceeded"
    assert e.value.path == ""
    assert f"at most {64 << 20} bytes; this one has " in e.value.message
    assert e.value.to_envelope()["error"]["code"] == "limit_exceeded"
    # The warm instance was neither discarded nor replaced, and serves the next call.
    assert w._pool._idle.qsize() == 1 and w._pool._idle.queue[0] is warm
    assert w.check_password("correct horse battery staple")["policy"] == w.policy_hash
    assert w._pool._idle.qsize() == 1 and w._pool._idle.queue[0] is warm


def test_the_abi_version_is_checked_first():
    wat = """(module (memory (export "memory") 1)
      (data (i32.const 16) "\\02\\00\\00\\00\\00\\00\\00\\00")
      (global (export "warden_abi_major") i32 (i32.const 16))
      (global (export "warden_abi_minor") i32 (i32.const 20)))"""
    import wasmtime

    rt = warden.Runtime(wasm=wasmtime.wat2wasm(wat))
    with pytest.raises(warden.WardenRuntimeError) as e:
        warden.Warden.from_preset("crm", runtime=rt)
    assert e.value.code == "abi_mismatch"
    assert "2.0" in e.value.message


def test_the_pool_is_bounded_and_thread_safe():
    w = warden.Warden.from_preset("crm", pool_size=2)
    results, errors = [], []

    def work():
        try:
            for _ in range(5):
                results.append(w.check_password("correct horse battery staple")["valid"])
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) == 20 and len(set(results)) == 1
    w.close()
    with pytest.raises(warden.WardenRuntimeError) as e:
        w.check_password("x")
    assert e.value.code == "closed"


def test_the_readme_example_runs(capsys):
    readme = (Path(__file__).parents[1] / "README.md").read_text("utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "False invalid_email"
    assert out[1].startswith("policy_error '' presets are")
    assert out[2] == "closed"


def test_the_module_is_deterministic_across_instances():
    from warden._runtime import Instance

    rt = warden.default_runtime()
    request = {
        "preset": "production-planner-pro",
        "op": "validate",
        "input": {"user": ADA, "today": TODAY},
    }
    outputs = []
    for _ in range(2):
        instance = Instance(rt)
        instance.evaluate(0, request)
        packed = instance._call(instance._output) & 0xFFFF_FFFF_FFFF_FFFF
        ptr, length = packed >> 32, packed & 0xFFFF_FFFF
        outputs.append(bytes(instance._memory.read(instance._store, ptr, ptr + length)))
    assert outputs[0] == outputs[1]
    assert b'"invalid_email"' in outputs[0]


def test_what_json_cannot_carry_is_invalid_input_at_its_path(ppp):
    # Lone surrogates, sets, non-JSON keys and nesting beyond json.dumps are typed refusals
    # (never UnicodeEncodeError, TypeError or RecursionError), and the instance stays usable.
    deep: object = "x"
    for _ in range(5000):
        deep = [deep]
    cases = [
        (lambda: ppp.check_password("abc\ud800def"), "input.password"),
        (
            lambda: ppp.validate({**ADA, "firstName": "A\udc00"}, today=TODAY),
            "input.user.firstName",
        ),
        (lambda: ppp.validate({**ADA, "x\ud800": 1}, today=TODAY), "input.user.x\\ud800"),
        (lambda: ppp.validate({**ADA, "x": {1, 2}}, today=TODAY), "input.user.x"),
        (lambda: ppp.validate({**ADA, "x": [0, {(1, 2): 3}]}, today=TODAY), "input.user.x[1]"),
        (lambda: ppp.validate({**ADA, "x": deep}, today=TODAY), "input.user.x[0][0][0]"),
        (lambda: warden.evaluate({"preset": "crm", "op": "password", "input": {1.5j}}), "input"),
    ]
    for call, path in cases:
        with pytest.raises(warden.InvalidInputError) as e:
            call()
        assert e.value.code == "invalid_input"
        assert e.value.path.startswith(path), (e.value.path, path)
        assert e.value.message
    assert ppp.check_password("Tr0ub4dor&3x!")["valid"] is True


def test_non_finite_numbers_are_invalid_input_at_their_path(ppp):
    # NaN and infinities have no JSON form: json.dumps would write the bare words NaN and
    # Infinity (not JSON), refused as a whole. Each is refused at its own path, anywhere.
    nan, inf = float("nan"), float("inf")
    cases = [
        (lambda: ppp.validate({**ADA, "firstName": nan}, today=TODAY), "input.user.firstName"),
        (
            lambda: ppp.validate(ADA, today=TODAY, facts={"lockouts": inf}),
            "input.facts.lockouts",
        ),
        (lambda: ppp.validate({**ADA, "x": [1.5, -inf]}, today=TODAY), "input.user.x[1]"),
        (lambda: ppp.validate({**ADA, nan: 1}, today=TODAY), "input.user.nan"),
        (lambda: ppp.check_password("Tr0ub4dor&3x!", user={"age": nan}), "input.user.age"),
        (
            lambda: warden.evaluate(
                {"preset": "crm", "op": "password", "input": {"password": "x", "n": -inf}}
            ),
            "input.n",
        ),
    ]
    for call, path in cases:
        with pytest.raises(warden.InvalidInputError) as e:
            call()
        assert (e.value.code, e.value.path) == ("invalid_input", path)
        assert "finite" in e.value.message
        assert "Tr0ub4dor" not in str(e.value)
    # Finite floats, the largest included, still go through; the instance is still usable.
    assert ppp.validate({**ADA, "x": 1.7976931348623157e308}, today=TODAY)["policy"]
    assert ppp.check_password("Tr0ub4dor&3x!")["valid"] is True


def test_a_policy_text_that_is_not_json_is_invalid_input_at_policy():
    for text in ("{bad", b"\xff\xfe", "[" * 100_000):
        with pytest.raises(warden.InvalidInputError) as e:
            warden.Warden.from_policy(text)
        assert (e.value.code, e.value.path) == ("invalid_input", "policy")


def _abi_module(major_address=16, omit=()):
    import wasmtime

    funcs = {
        "warden_alloc": "(param i32) (result i32) (i32.const 1024)",
        "warden_free": "(param i32 i32)",
        "warden_policy_load": "(param i32 i32) (result i32) (i32.const 0)",
        "warden_policy_free": "(param i32) (result i32) (i32.const 0)",
        "warden_evaluate": "(param i32 i32 i32) (result i32) (i32.const 0)",
        "warden_output": "(result i64) (i64.const 0)",
    }
    body = "\n".join(f'(func (export "{n}") {f})' for n, f in funcs.items() if n not in omit)
    wat = f"""(module (memory (export "memory") 1)
      (data (i32.const 16) "\\01\\00\\00\\00\\00\\00\\00\\00")
      (global (export "warden_abi_major") i32 (i32.const {major_address}))
      (global (export "warden_abi_minor") i32 (i32.const 20))
      {body})"""
    return wasmtime.wat2wasm(wat)


def test_a_module_that_is_not_a_warden_module_is_an_abi_mismatch():
    for wasm, words in [
        (_abi_module(omit=("warden_evaluate",)), "warden_evaluate"),
        (_abi_module(omit=("warden_output",)), "warden_output"),
        # Memory.read would clamp this to an empty read (seen as "ABI 0.0").
        (_abi_module(major_address=0x7FFF_FFF0), "outside memory"),
        (_abi_module(major_address=65534), "outside memory"),
    ]:
        with pytest.raises(warden.WardenRuntimeError) as e:
            warden.Warden.from_preset("crm", runtime=warden.Runtime(wasm=wasm))
        assert e.value.code == "abi_mismatch"
        assert words in e.value.message


def test_a_module_that_does_not_compile_is_instantiation_failed():
    # The code Go and Java give the same event.
    with pytest.raises(warden.WardenRuntimeError) as e:
        warden.Runtime(wasm=b"\0asm not a module")
    assert e.value.code == "instantiation_failed"
    assert "does not compile" in e.value.message


def test_an_instance_interrupted_mid_call_is_never_lent_again():
    w = warden.Warden.from_preset("crm", pool_size=1)
    with w._pool.borrow() as (first, _):
        pass
    with pytest.raises(KeyboardInterrupt), w._pool.borrow() as (instance, _):
        assert instance is first
        raise KeyboardInterrupt  # as if it arrived half-way through writing the request
    with w._pool.borrow() as (instance, _):
        assert instance is not first
    # A refusal keeps the instance: it is sound.
    with pytest.raises(warden.InvalidInputError), w._pool.borrow() as (second, handle):
        second.evaluate(handle, {"op": "password", "input": {"password": 1}})
    with w._pool.borrow() as (instance, _):
        assert instance is second
    assert w.check_password("Tr0ub4dor&3x!")["valid"] is True


def test_a_runtime_fault_is_not_a_refusal():
    # `except WardenError` answers a caller's mistake (a 400); a fault of the module is the
    # service's, and must not be caught there.
    assert not issubclass(warden.WardenRuntimeError, warden.WardenError)
    assert issubclass(warden.WardenRuntimeError, warden.WardenBaseError)
    assert issubclass(warden.WardenError, warden.WardenBaseError)
    rt = warden.default_runtime().with_limits(fuel=warden.DEFAULT_FUEL)
    w = warden.Warden.from_preset("crm", runtime=rt, pool_size=1)
    rt.fuel = 1000
    with pytest.raises(warden.WardenBaseError) as e:
        try:
            w.check_password("correct horse battery staple")
        except warden.WardenError:
            pytest.fail("a fault was caught as a refusal")
    assert isinstance(e.value, warden.WardenRuntimeError)
    rt.fuel = warden.DEFAULT_FUEL


def test_a_per_call_fuel_sized_from_normal_calls_is_enough():
    # The module's common-password list is static data (laid out at compile time), so a new
    # instance's first password check costs what any later one does: a budget of a few times
    # a normal call's cost works from the first call of each instance on, its load included.
    rt = warden.default_runtime().with_limits(fuel=20_000_000)
    with warden.Warden.from_preset("production-planner-pro", runtime=rt, pool_size=1) as w:
        for _ in range(3):
            assert w.check_password("password")["valid"] is False
            assert w.validate({**ADA, "email": "ada@acme.example"}, today=TODAY)["valid"]
    # The one-shot pool's instances too (the policy compiled per call is in the budget).
    d = warden.evaluate(
        {"preset": "crm", "op": "password", "input": {"password": "password"}}, runtime=rt
    )
    assert d["valid"] is False
    # The budget still bounds each call.
    tight = warden.default_runtime().with_limits(fuel=1_000_000)
    with pytest.raises(warden.WardenRuntimeError) as e:
        warden.Warden.from_preset("crm", runtime=tight)
    assert e.value.code == "out_of_fuel"


def test_duplicate_keys_in_a_policy_text_are_refused_as_the_module_refuses_them():
    # The text reaches the module as written (json.loads would keep the last value).
    for text in (
        '{"warden": 1, "name": "x", "fields": {"firstName": {"maxLength": 3, "maxLength": 4}}}',
        b'{"warden": 1, "name": "x", "fields": {"firstName": {"maxLength": 3, "maxLength": 4}}}',
    ):
        with pytest.raises(warden.InvalidInputError) as e:
            warden.Warden.from_policy(text)
        assert (e.value.code, e.value.path) == ("invalid_input", "policy.fields.firstName")
        assert "duplicate key `maxLength`" in e.value.message
    with pytest.raises(warden.InvalidInputError) as e:
        warden.Warden.from_policy('{"warden": 1, "name": NaN}')
    assert e.value.path == "policy"
    with pytest.raises(warden.InvalidInputError) as e:
        warden.Warden.from_policy('{"warden": 1, "name": "\\ud800"}')
    assert e.value.path == "policy.name"
    with warden.Warden.from_policy('{"warden": 1, "name": "x"}') as w:
        assert w.policy_hash == warden.Warden.from_policy({"warden": 1, "name": "x"}).policy_hash


def test_whole_floats_are_sent_as_integers_as_in_go():
    # 7.0 is sent as 7 (Go's encoding/json writes it so); 7.5 and -0.0 stay floats, refused
    # where the module expects a count.
    request = {
        "actor": {"id": "adm", "organization": "rent", "roles": ["administrator"]},
        "target": {"id": "c1", "organization": "rent", "roles": ["customer"]},
        "to": "suspended",
    }
    with warden.Warden.from_preset("rental-platform") as rent:
        for days in (7, 7.0):
            d = rent.transition({**request, "durationDays": days}, now=NOW)
            assert d["deny"]["code"] == "reason_required"
        for days in (7.5, -0.0, 1e21):
            with pytest.raises(warden.InvalidInputError) as e:
                rent.transition({**request, "durationDays": days}, now=NOW)
            assert e.value.path == "input.durationDays"
    # Anywhere in a request, copying only what changes.
    from warden._runtime import _encode

    value = {"a": [{"b": 2.0}, 3], "c": -0.0, "d": 7.5, "e": 1e20, "f": -4.0}
    assert _encode(value) == (
        b'{"a": [{"b": 2}, 3], "c": -0.0, "d": 7.5, "e": 100000000000000000000, "f": -4}'
    )
    assert value["a"][0]["b"] == 2.0


def test_a_transition_request_that_is_not_an_object_is_invalid_input_at_input():
    with warden.Warden.from_preset("rental-platform") as rent:
        for request in (None, [1], "abc", 7):
            with pytest.raises(warden.InvalidInputError) as e:
                rent.transition(request, now=NOW)  # type: ignore[arg-type]
            assert (e.value.code, e.value.path) == ("invalid_input", "input")


def test_values_and_options_python_would_coerce_are_refused(ppp):
    cases = [
        (lambda: ppp.validate({**ADA, "firstName": 10**5000}, today=TODAY), "input.user.firstName"),
        (lambda: ppp.validate({**ADA, None: "x"}, today=TODAY), "input.user"),
        (lambda: ppp.validate({**ADA, True: "x"}, today=TODAY), "input.user"),
        (lambda: ppp.validate(ADA, today=TODAY, mfa="yes"), "input.mfa"),
        (lambda: ppp.check_password("Tr0ub4dor&3x!", mfa=1), "input.mfa"),
    ]
    for call, path in cases:
        with pytest.raises(warden.InvalidInputError) as e:
            call()
        assert (e.value.code, e.value.path) == ("invalid_input", path)
    assert ppp.validate(ADA, today=TODAY, mfa=True)["policy"]
    for timeout in (-1, 0, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            warden.Warden.from_preset("crm", pool_timeout=timeout)
