"""Shared fixtures: the conformance vectors of the repository."""

import json
import os
from pathlib import Path

import pytest

VECTORS = Path(os.environ.get("WARDEN_VECTORS", Path(__file__).parents[3] / "tests" / "vectors"))
#: The vector files every SDK runner must find (shared by the three SDKs).
MANIFEST = Path(__file__).parents[2] / "vector-files.txt"
#: The rule ids the vectors must prove, each by at least one case.
RULES = VECTORS.parent / "rules.txt"


def load_cases():
    """Every case of every vector file, as (file name, case)."""
    files = sorted(VECTORS.glob("*.json"))
    assert files, f"no vector file in {VECTORS}"
    return [(f.name, case) for f in files for case in json.loads(f.read_text("utf-8"))["cases"]]


@pytest.fixture(scope="session")
def cases():
    return load_cases()


def manifest():
    """The vector file names listed in sdk/vector-files.txt."""
    lines = (line.strip() for line in MANIFEST.read_text("utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def declared_cases():
    """The number of cases each vector file declares, read independently of ``load_cases``."""
    return {
        f.name: len(json.loads(f.read_text("utf-8")).get("cases") or [])
        for f in VECTORS.glob("*.json")
    }
