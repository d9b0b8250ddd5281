"""The policy's hash, use after close, and calls racing a close."""

import json
import threading

import pytest

import warden

TODAY = "2026-11-22"
NOW = "2026-11-22T10:00:00Z"
#: A small policy document of the vectors (regex-dialect.json).
DIALECT = (
    '{"warden": 1, "name": "dialect", "fields": {"code": {"type": "identifier",'
    ' "required": true, "pattern": "[0-9]{4}"}}}'
)
ACTOR = {"id": "a", "organization": "acme", "roles": ["administrator"]}


def test_the_policy_hash_is_the_modules():
    hashes = set()
    for preset in ("crm", "production-planner-pro"):
        with warden.Warden.from_preset(preset, pool_size=1) as w:
            h = w.policy_hash
            assert h.startswith("sha256:") and len(h) == len("sha256:") + 64
            assert w.check_password("correct horse battery staple")["policy"] == h
            hashes.add(h)
            with pytest.raises(AttributeError):
                w.policy_hash = "sha256:0"  # read-only
    assert len(hashes) == 2
    with warden.Warden.from_policy(DIALECT, pool_size=1) as w:
        one_shot = warden.evaluate(
            {
                "policy": json.loads(DIALECT),
                "op": "validate",
                "input": {"user": {"code": "1234"}, "today": TODAY},
            }
        )
        assert one_shot["policy"] == w.policy_hash
        # The module hashes the canonical document: white space does not change it.
        spaced = DIALECT.replace(", ", ",\n  ")
        with warden.Warden.from_policy(spaced, pool_size=1) as again:
            assert again.policy_hash == w.policy_hash


def calls(w, rt):
    """One call of each method of a Warden, and of its runtime."""
    return {
        "validate": lambda: w.validate({"firstName": "Ada"}, today=TODAY),
        "check_password": lambda: w.check_password("correct horse battery staple"),
        "authorize": lambda: w.authorize(ACTOR, "users.read", ACTOR, now=NOW),
        "scope": lambda: w.scope(ACTOR, "users.read", now=NOW),
        "transition": lambda: w.transition(
            {"actor": ACTOR, "target": ACTOR, "to": "active"}, now=NOW
        ),
        "login": lambda: w.login(ACTOR, now=NOW),
        "evaluate": lambda: w.evaluate("password", {"password": "x"}),
        "evaluate_request": lambda: w.evaluate_request(
            {"op": "password", "input": {"password": "x"}}
        ),
        "warden.evaluate": lambda: warden.evaluate(
            {"preset": "crm", "op": "password", "input": {"password": "x"}}, runtime=rt
        ),
        "Warden.from_preset": lambda: warden.Warden.from_preset(
            "crm", runtime=rt, pool_size=1
        ).close(),
    }


def assert_closed(call, name):
    with pytest.raises(warden.ClosedError) as e:
        call()
    assert e.value.code == "closed", name
    assert isinstance(e.value, warden.WardenRuntimeError)
    assert isinstance(e.value, warden.WardenBaseError)
    assert not isinstance(e.value, warden.WardenError)


def test_a_closed_warden_raises_closed_error():
    rt = warden.default_runtime()
    w = warden.Warden.from_preset("crm", pool_size=1)
    h = w.policy_hash
    w.close()
    w.close()  # harmless
    for name, call in calls(w, rt).items():
        if name in ("warden.evaluate", "Warden.from_preset"):
            call()  # the runtime is still open
        else:
            assert_closed(call, name)
    assert w.policy_hash == h
    assert w._pool._idle.qsize() == 0


def test_a_closed_runtime_closes_its_wardens():
    rt = warden.default_runtime().with_limits()  # the same compiled module
    w = warden.Warden.from_preset("crm", runtime=rt, pool_size=2)
    assert w.check_password("correct horse battery staple")["valid"] in (True, False)
    assert w._pool._idle.qsize() == 1
    with rt:
        pass  # closes it
    assert rt.closed
    rt.close()  # harmless
    assert w._pool._idle.qsize() == 0, "the runtime's close dropped its Wardens' instances"
    for name, call in calls(w, rt).items():
        assert_closed(call, name)
    assert_closed(rt.raw_pool, "raw_pool")
    w.close()
    w.close()
    # Another runtime of the same module, and the default one, are not closed with it.
    assert not warden.default_runtime().closed
    assert warden.evaluate({"preset": "crm", "op": "password", "input": {"password": "x"}})


def race(w, rt, close):
    """Calls of every method from several threads while two threads close; every call must
    complete (a decision or a refusal) or raise ClosedError."""
    start = threading.Barrier(len(calls(w, rt)) + 2)
    outcomes, unexpected = [], []

    def work(name, call):
        start.wait()
        for _ in range(3):
            try:
                call()
                outcomes.append("done")
            except warden.ClosedError:
                outcomes.append("closed")
            except warden.WardenError:
                outcomes.append("done")  # a refusal is a completed call
            except BaseException as e:  # pragma: no cover - reported below
                unexpected.append((name, e))

    def closer():
        start.wait()
        close()

    threads = [threading.Thread(target=work, args=item) for item in calls(w, rt).items()]
    threads += [threading.Thread(target=closer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert unexpected == []
    assert "closed" in outcomes
    return outcomes


def test_calls_racing_a_warden_close_complete_or_are_closed():
    rt = warden.default_runtime()
    for _ in range(3):
        w = warden.Warden.from_preset("crm", pool_size=2)
        race(w, rt, w.close)
        assert_closed(lambda w=w: w.login(ACTOR, now=NOW), "after the race")
        assert w._pool._idle.qsize() == 0


def test_calls_racing_a_runtime_close_complete_or_are_closed():
    for _ in range(3):
        rt = warden.default_runtime().with_limits()
        w = warden.Warden.from_preset("crm", runtime=rt, pool_size=2)
        race(w, rt, rt.close)
        assert_closed(lambda w=w: w.login(ACTOR, now=NOW), "after the race")
        assert w._pool._idle.qsize() == 0
