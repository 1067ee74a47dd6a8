"""`functools.cache` for what is built on first use (a client, a parsed document, an unwrapped key) and
that threads may ask for at once.

`functools.cache` lets every thread that misses build its own value: the first burst `chalice local`
served (one process, a thread per caller) parsed the OpenAPI document and built each client about a
hundred times at once, and timed out its callers (issue 23: 503s after a cold start). Here the callers
of one function wait for the first builder and share its value. A Lambda container serves one request at
a time, so deployed this changes nothing but the lock it takes (~0.1 us). A failed build is not kept.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

R = TypeVar("R")


class BuiltOnce(Generic[R]):
    """A function's values by arguments, each built by one caller; `cache_clear()` forgets them."""

    def __init__(self, build: Callable[..., R]) -> None:
        self._cached = functools.cache(build)
        self._lock = threading.RLock()  # reentrant: a builder may ask for its own function's other values
        functools.update_wrapper(self, build)

    def __call__(self, *args: Hashable) -> R:
        with self._lock:
            return self._cached(*args)

    def cache_clear(self) -> None:
        with self._lock:
            self._cached.cache_clear()


def built_once(build: Callable[..., R]) -> BuiltOnce[R]:
    return BuiltOnce(build)
