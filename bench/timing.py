"""Small timing helpers shared by the benchmarks."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def microseconds_per_call(action: Callable[[int], object], count: int) -> float:
    """Mean wall time of `action(i)` for i in range(count), in microseconds."""
    start = time.perf_counter()
    for i in range(count):
        action(i)
    return (time.perf_counter() - start) / count * 1e6


def median_seconds(action: Callable[[], object], repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def milliseconds(action: Callable[[], Any], count: int) -> list[float]:
    """Wall time of each of `count` calls of `action`, in milliseconds."""
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]
