"""Shared test helpers: the import path of the package under test, the repository's vectors, strict JSON equality."""

import json
import math
import os
import sys
from pathlib import Path
from typing import Any

SDK_ROOT = Path(__file__).resolve().parents[1]
REPO_ROOT = SDK_ROOT.parents[1]
VECTORS = REPO_ROOT / "test" / "vectors"

if str(SDK_ROOT / "src") not in sys.path:
    sys.path.insert(0, str(SDK_ROOT / "src"))


def time_scale() -> float:
    """How many times slower than an idle machine this one runs (local/timing.ts): SWITCHYARD_TIME_SCALE when set
    (npm test passes its own), else the load average per core; in [1, 8]. Upper bounds on waits scale with it."""
    configured = os.environ.get("SWITCHYARD_TIME_SCALE")
    if configured:
        return min(8.0, max(1.0, float(configured)))
    try:
        return min(8.0, max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1)))
    except OSError:
        return 1.0


def load_vectors(name: str) -> Any:
    """One of test/vectors/*.json, parsed as the SDK parses the API's JSON."""
    with open(VECTORS / name, encoding="utf-8") as handle:
        return json.load(handle)


def json_equal(a: Any, b: Any) -> bool:
    """Equality of JSON values as JavaScript's toEqual sees them: `True` is not `1`, `1` is `1.0`."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b
