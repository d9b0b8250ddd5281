"""Every conformance vector of tests/vectors through the portable core module.

The outcome of a case is the decision, or the error envelope ``{"error": {...}}`` (as the
native runner's ``ApiError::to_json()``); it must match the case's ``expect`` pattern under
the subset rule of tests/README.md (``matcher.py``). Each case runs twice:

- one-shot: the request as written, through ``warden.evaluate`` (handle 0);
- loaded: when the request names exactly one of ``preset``/``policy``, the policy is loaded
  once through ``Warden`` (a load error is the outcome) and the rest of the request is
  evaluated against it.
"""

import json
import re

import pytest
from conftest import RULES, declared_cases, manifest
from matcher import mismatches

import warden

MIN_CASES = 140
RULE_ID = re.compile(r"^R\d{3}-\d{2}$")


def shape_problems(case):
    problems = []
    if not isinstance(case, dict):
        return ["a case must be an object"]
    problems += [
        f"unknown key `{k}`"
        for k in case
        if k not in ("name", "rules", "reason", "request", "expect")
    ]
    if not (isinstance(case.get("name"), str) and case["name"].strip()):
        problems.append("`name` must be a non-empty string")
    problems += [f"`{k}` is missing" for k in ("request", "expect") if k not in case]
    rules = case.get("rules")
    if not isinstance(rules, list):
        problems.append("`rules` must be an array of rule ids")
    elif not rules:
        if not (isinstance(case.get("reason"), str) and case["reason"].strip()):
            problems.append("`rules: []` needs a non-empty `reason`")
    else:
        problems += [
            f"`{r}` is not a rule id"
            for r in rules
            if not (isinstance(r, str) and RULE_ID.match(r))
        ]
    return problems


def outcome(call):
    try:
        return call()
    except warden.WardenRuntimeError:
        raise
    except warden.WardenError as e:
        return e.to_envelope()


_loaded = {}


def loaded_warden(request):
    """The Warden (or the load error) of the one policy the request names, else ``None``."""
    names = [k for k in ("preset", "policy") if k in request]
    if len(names) != 1:
        return None
    key = json.dumps({names[0]: request[names[0]]}, sort_keys=True)
    if key not in _loaded:
        try:
            _loaded[key] = warden.Warden({names[0]: request[names[0]]}, pool_size=1)
        except warden.WardenRuntimeError:
            raise
        except warden.WardenError as e:
            _loaded[key] = e
    return _loaded[key]


def loaded_outcome(request):
    w = loaded_warden(request)
    if w is None:
        return None
    if isinstance(w, warden.WardenError):
        return w.to_envelope()
    names = [k for k in ("preset", "policy") if k in request]
    rest = {k: v for k, v in request.items() if k != names[0]}
    return outcome(lambda: w.evaluate_request(rest))


def vector_file_problems(declared, cases):
    """A lost, emptied or unlisted vector file, or a rule no case proves any more.

    ``declared``: the number of cases of each vector file (``declared_cases()``)."""
    listed = manifest()
    problems = [
        f"{f}: listed in sdk/vector-files.txt but missing" for f in listed if f not in declared
    ]
    problems += [f"{f}: not listed in sdk/vector-files.txt" for f in declared if f not in listed]
    problems += [f"{f}: holds no case" for f, n in declared.items() if n == 0]
    proved = {r for _, case in cases for r in case.get("rules") or [] if isinstance(r, str)}
    problems += [
        f"rule {r} of tests/rules.txt is proved by no case"
        for r in RULES.read_text("utf-8").split()
        if r not in proved
    ]
    return problems


def test_no_vector_file_or_rule_is_lost(cases):
    assert vector_file_problems(declared_cases(), cases) == []


def test_a_lost_vector_file_or_rule_is_reported(cases):
    declared = declared_cases()
    assert "errors.json" in declared
    lost = {f: n for f, n in declared.items() if f != "errors.json"}
    assert vector_file_problems(lost, cases) == [
        "errors.json: listed in sdk/vector-files.txt but missing"
    ]
    assert vector_file_problems({**declared, "new.json": 0}, cases) == [
        "new.json: not listed in sdk/vector-files.txt",
        "new.json: holds no case",
    ]
    some = [(f, c) for f, c in cases if "R000-01" not in c["rules"]]
    assert vector_file_problems(declared, some) == [
        "rule R000-01 of tests/rules.txt is proved by no case"
    ]


def test_every_vector(cases):
    assert len(cases) >= MIN_CASES, f"only {len(cases)} cases; at least {MIN_CASES} expected"
    report, failures, names, loaded, ran, hashes = [], 0, set(), 0, 0, 0
    for file, case in cases:
        name = case.get("name", "(unnamed)")
        problems = shape_problems(case)
        if name in names:
            problems.append("the case name is not unique across the vectors")
        names.add(name)
        found = []
        request, expect = case.get("request"), case.get("expect")
        if request is not None and expect is not None:
            one_shot = outcome(lambda request=request: warden.evaluate(request))
            ran += 1
            found += [("one-shot", *m) for m in mismatches(expect, one_shot)]
            by_handle = loaded_outcome(request)
            if by_handle is not None:
                loaded += 1
                found += [("loaded", *m) for m in mismatches(expect, by_handle)]
                # The loaded policy's hash is the one its decisions carry.
                w = loaded_warden(request)
                if isinstance(w, warden.Warden) and isinstance(one_shot.get("policy"), str):
                    hashes += 1
                    if w.policy_hash != one_shot["policy"]:
                        found.append(("policy hash", "$.policy", one_shot["policy"], w.policy_hash))
        if problems or found:
            failures += 1
            report.append(f"\n[{file}] {name}")
            report += [f"  case: {p}" for p in problems]
            report += [
                f"  {how} at {p}\n    expected: {e}\n    actual:   {a}" for how, p, e, a in found
            ]
    print(f"{ran} cases one-shot, {loaded} also through a loaded policy ({hashes} hashes)")
    assert hashes > 0, "no decision of a loaded policy carried its policy hash"
    assert failures == 0, f"{failures} of {len(cases)} cases failed:" + "\n".join(report)
    # Every case the files declare ran: none was skipped.
    declared = sum(declared_cases().values())
    assert ran == declared, f"{ran} of the {declared} cases of the vector files ran"


@pytest.mark.parametrize("path", ["one-shot", "loaded"])
def test_a_wrong_expectation_fails(path, cases):
    # The runner must be able to fail: a flipped verdict is reported.
    _, case = next(
        (f, c)
        for f, c in cases
        if c["request"].get("op") == "validate" and c["expect"].get("valid") is False
    )
    expect = dict(case["expect"], valid=True)
    request = case["request"]
    actual = warden.evaluate(request) if path == "one-shot" else loaded_outcome(request)
    assert mismatches(expect, actual)
