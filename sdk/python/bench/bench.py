"""Decision latency through the portable core module from Python, against pydantic.

Run by scripts/bench-sdks.sh (not a test). Prints Markdown rows. The record rule set is the
one of BENCHMARKS.md (benches/compare/compare-policy.json); the data is its generator
(bench/js/common.mjs), ported. Verdicts are asserted equal record by record before timing.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

import warden

ROOT = Path(__file__).resolve().parents[3]
TODAY = "2026-11-22"
NOW = "2026-11-22T10:00:00Z"
N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
ROUNDS = 7


def records(n: int, bad_per_100: int) -> list[dict]:
    out = []
    for i in range(n):
        r = {
            "firstName": f"Ada{i % 97}",
            "lastName": f"Lovelace-{i}",
            "email": f"ada.lovelace{i}@acme{i % 13}.example",
            "phone": f"+3361234{i % 10000:04d}",
            "employeeId": f"EMP-{i % 100000:05d}",
            "organization": f"org-{i % 50}",
        }
        if i % 3 == 0:
            del r["phone"]
        if i % 100 < bad_per_100:
            k = (i // 100 + i) % 8
            if k == 0:
                r["email"] = f"user{i}.example.com"
            elif k == 1:
                r["email"] = f"user{i}@@acme.example"
            elif k == 2:
                r["phone"] = "+33612"
            elif k == 3:
                r["phone"] = f"0612{i:06d}"
            elif k == 4:
                r["employeeId"] = f"E-{i}"
            elif k == 5:
                del r["lastName"]
            elif k == 6:
                r["firstName"] = "A" * 101
            else:
                r["lastName"] = f"Love\u0007lace{i}"
        out.append(r)
    return out


CLEAN = "^[^\\p{Cc}\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]*$"
HTML_EMAIL = (
    r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$"
)
Name = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=CLEAN)]


class Record(BaseModel):
    """The equal rule set in pydantic."""

    model_config = ConfigDict(extra="ignore", strict=True)
    firstName: Name  # noqa: N815 - the record's field names
    lastName: Name  # noqa: N815
    email: Annotated[str, StringConstraints(pattern=HTML_EMAIL)]
    phone: Annotated[str, StringConstraints(pattern=r"^(|\+[1-9][0-9]{7,14})$")] | None = None
    employeeId: Annotated[str, StringConstraints(pattern=r"^EMP-[0-9]{5}$")]  # noqa: N815
    organization: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=CLEAN)]


def pydantic_valid(r: dict) -> bool:
    try:
        Record.model_validate(r)
        return True
    except ValidationError:
        return False


def per_call(fn, items) -> float:
    """Median over ROUNDS of the mean time per item, in microseconds."""
    times = []
    for _ in range(ROUNDS):
        t = time.perf_counter()
        for it in items:
            fn(it)
        times.append((time.perf_counter() - t) / len(items) * 1e6)
    return statistics.median(times)


def us(x: float) -> str:
    return f"{x:.1f} µs" if x < 1000 else f"{x / 1000:.2f} ms"


def main() -> None:
    t = time.perf_counter()
    rt = warden.Runtime()
    compiled = time.perf_counter() - t
    policy = json.loads((ROOT / "benches/compare/compare-policy.json").read_text("utf-8"))
    t = time.perf_counter()
    w = warden.Warden.from_policy(policy, runtime=rt, pool_size=1)
    loaded = time.perf_counter() - t
    print(
        f"| Python (wasmtime-py {_version()}) | cold | compile module {compiled:.2f} s, "
        f"load policy {loaded * 1000:.0f} ms | | |"
    )

    for bad in (0, 50):
        recs = records(N, bad)
        for r in recs:  # verdicts first
            mine = w.validate(r, today=TODAY)["valid"]
            if mine != pydantic_valid(r):
                raise SystemExit(f"verdicts differ on {r}: Warden {mine}")
        a = per_call(lambda r: w.validate(r, today=TODAY), recs)
        b = per_call(pydantic_valid, recs)
        print(f"| Python | validate, {bad}% invalid | {us(a)} | pydantic {us(b)} | {b / a:.2f}× |")

    hr = warden.Warden.from_preset("hr-platform", runtime=rt, pool_size=1)
    actor = {"id": "m1", "organization": "hr", "manager": "d1", "roles": ["manager"]}
    target = {"id": "e1", "organization": "hr", "manager": "m1"}
    assert hr.authorize(actor, "users.read", target, now=NOW)["decision"] == "allow"
    a = per_call(lambda _: hr.authorize(actor, "users.read", target, now=NOW), range(N))
    print(f"| Python | authorize (allow, team scope) | {us(a)} | | |")


def _version() -> str:
    from importlib.metadata import version

    return version("wasmtime")


if __name__ == "__main__":
    main()
