"""The CPU memory allocator setting behind the fast ensemble step (:mod:`mcgan_lib.ensemble`).

:func:`retain_freed_memory`: an ensemble step allocates and frees dozens of (E, B, 64) activations
(1 MB at E = 16, 4 MB at E = 64). glibc's malloc (``mallopt(3)``) serves blocks above
``M_MMAP_THRESHOLD`` (128 kB at start) with ``mmap`` and gives them back with ``munmap``, and
trims the heap top above ``M_TRIM_THRESHOLD``: every step then faults its activations' pages in
afresh (about 1,500 page faults per step at E = 16, a quarter of the step on a small VM). Raising
both thresholds keeps the freed blocks in the heap for the next step. One process-wide setting; the
cost is that up to ``trim_threshold`` of freed memory stays with the process.
"""

from __future__ import annotations

import ctypes
import os
import sys

M_TRIM_THRESHOLD = -1  # glibc <malloc.h>
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 2**20  # glibc's largest allowed value on 64-bit systems
TRIM_THRESHOLD = 256 * 2**20
_applied: bool | None = None


def retain_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds once per process (see the module docstring).

    Returns whether the setting is in force. A no-op off Linux/glibc, or when the environment
    variable ``MCGAN_MALLOC_TUNING=0`` asks to keep the allocator's defaults.
    """
    global _applied
    if _applied is not None:
        return _applied
    _applied = False
    if os.environ.get("MCGAN_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith("linux"):
        return _applied
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return _applied
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    _applied = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1 and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
    return _applied
