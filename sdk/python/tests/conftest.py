"""Shared fixtures: the conformance vectors of the repository."""

import json
import os
from pathlib import Path

import pytest

VECTORS = Path(os.environ.get("WARDEN_VECTORS", Path(__file__).parents[3] / "tests" / "vectors"))


def load_cases():
    """Every case of every vector file, as (file name, case)."""
    files = sorted(VECTORS.glob("*.json"))
    assert files, f"no vector file in {VECTORS}"
    return [(f.name, case) for f in files for case in json.loads(f.read_text("utf-8"))["cases"]]


@pytest.fixture(scope="session")
def cases():
    return load_cases()
