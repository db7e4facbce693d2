"""Give the C heap's free pages back to the system between batches (glibc only).

Batches of different shapes leave the heap fragmented: glibc raises its mmap threshold as
large blocks are freed (up to 32 MiB), so later tensors of a few MiB are carved out of the
heap, and the holes they leave are too small or too scattered for the next batch's tensors.
The resident memory of a long ``lcr-hub detect`` run then climbs with the number of batches,
although no row is kept (docs/detect.md has the measurements). ``malloc_trim(0)`` returns
every free page of every arena to the system (``madvise(MADV_DONTNEED)``), so the resident
memory between batches stays at what is live. Elsewhere (macOS, musl, Windows) this is a no-op.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable

__all__ = ["release_free_heap"]


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


def release_free_heap() -> bool:
    """Return the C heap's free pages to the system.

    Returns:
        True when glibc's ``malloc_trim`` ran, False where there is none.

    Example:
        >>> from lcr_hub._modules.memory import release_free_heap
        >>> isinstance(release_free_heap(), bool)
        True
    """
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
