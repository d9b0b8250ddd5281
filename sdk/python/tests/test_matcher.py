"""The matcher itself: the same cases as the native runner's."""

from matcher import mismatches


def test_extra_object_keys_are_ignored():
    assert (
        mismatches(
            {"valid": True, "violations": []},
            {"valid": True, "complete": False, "violations": [], "contract": 1},
        )
        == []
    )


def test_array_length_must_match():
    m = mismatches(
        {"violations": [{"code": "required"}]},
        {"violations": [{"code": "required"}, {"code": "too_long"}]},
    )
    assert [p for p, _, _ in m] == ["$.violations"]
    assert m[0][1].startswith("an array of 1 elements")
    assert len(mismatches([1, 2], [1])) == 1


def test_wrong_scalar_names_its_path():
    m = mismatches(
        {"violations": [{"code": "required", "path": ["email"]}]},
        {"violations": [{"code": "required", "path": ["phone"]}]},
    )
    assert m == [("$.violations[0].path[0]", '"email"', '"phone"')]


def test_missing_key():
    m = mismatches(
        {"error": {"code": "invalid_input", "path": "input"}}, {"error": {"code": "invalid_input"}}
    )
    assert m == [("$.error.path", '"input"', "(missing key)")]


def test_types_and_null_are_strict():
    assert len(mismatches({"max": 64}, {"max": "64"})) == 1
    assert len(mismatches({"manager": None}, {})) == 1
    assert len(mismatches({"manager": None}, {"manager": "u-1"})) == 1
    assert len(mismatches([], {})) == 1
    assert len(mismatches({}, [])) == 1
    assert mismatches({}, {"a": 1}) == []
    assert len(mismatches([], [0])) == 1
    # JSON booleans are not numbers, even though Python's True == 1.
    assert len(mismatches(True, 1)) == 1
    assert len(mismatches(0, False)) == 1


def test_numbers_compare_by_value():
    assert mismatches(1, 1.0) == []
    assert len(mismatches(1, 2)) == 1


def test_every_mismatch_is_reported():
    m = mismatches({"a": 1, "b": [True], "c": "x"}, {"a": 2, "b": [False]})
    assert [p for p, _, _ in m] == ["$.a", "$.b[0]", "$.c"]
