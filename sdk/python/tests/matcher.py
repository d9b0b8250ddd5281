"""The subset-pattern rule of tests/README.md, as the native runner implements it."""

from __future__ import annotations

import json
from typing import Any


def _kind(v: Any) -> str:
    # bool before int: in Python True == 1, in JSON they are different types.
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def _compact(v: Any) -> str:
    s = json.dumps(v, ensure_ascii=False, separators=(",", ":"))
    return s if len(s) <= 400 else s[:400] + "..."


def mismatches(expected: Any, actual: Any, path: str = "$") -> list[tuple[str, str, str]]:
    """Every place where ``actual`` does not match the pattern ``expected``:
    (path, expected, actual). Objects: every pattern key present and matching, extra keys
    allowed. Arrays: same length, element-wise. Scalars: equal with the same JSON type;
    numbers by value."""
    out: list[tuple[str, str, str]] = []
    ek, ak = _kind(expected), _kind(actual)
    if ek == "object" and ak == "object":
        for key, sub in expected.items():
            here = f"{path}.{key}"
            if key in actual:
                out.extend(mismatches(sub, actual[key], here))
            else:
                out.append((here, _compact(sub), "(missing key)"))
    elif ek == "array" and ak == "array":
        if len(expected) != len(actual):
            out.append(
                (
                    path,
                    f"an array of {len(expected)} elements: {_compact(expected)}",
                    f"an array of {len(actual)} elements: {_compact(actual)}",
                )
            )
        else:
            for i, (p, a) in enumerate(zip(expected, actual, strict=False)):
                out.extend(mismatches(p, a, f"{path}[{i}]"))
    elif ek != ak or expected != actual:
        out.append((path, _compact(expected), _compact(actual)))
    return out
