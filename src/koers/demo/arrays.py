"""Small vectorised helpers shared by the building steps."""

from __future__ import annotations

import ctypes
import unicodedata

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def categorical(rng, probs, groups=None, n=None) -> np.ndarray:
    """Categorical draws: probs (K,) for n draws, or (G, K) rows chosen by groups."""
    probs = np.asarray(probs, dtype=float)
    if probs.ndim == 1:
        cum = np.cumsum(probs)
        cum /= cum[-1]
        return np.minimum(np.searchsorted(cum, rng.random(n), side="right"), len(cum) - 1)
    groups = np.asarray(groups)
    u = rng.random(len(groups))
    out = np.zeros(len(groups), dtype="int64")
    for g in range(probs.shape[0]):
        m = groups == g
        if m.any() and probs[g].sum() > 0:
            cum = np.cumsum(probs[g])
            cum /= cum[-1]
            out[m] = np.minimum(np.searchsorted(cum, u[m], side="right"), len(cum) - 1)
    return out


def numbered_ids(prefix: str, n: int, width: int) -> pa.Array:
    width = max(width, len(str(n)))
    nums = pc.cast(pa.array(np.arange(1, n + 1, dtype="int64")), pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(nums, width, "0"), "")


def take_text(values, idx) -> pa.Array:
    """values[idx] as a pyarrow string array, null where idx < 0."""
    if not isinstance(values, pa.Array):
        values = pa.array(list(values), pa.string())
    idx = np.asarray(idx, dtype="int64")
    return pc.take(values, pa.array(idx, mask=idx < 0))


def round_to(x, step):
    return np.round(np.asarray(x, dtype=float) / step) * step


def repeat_ranges(counts) -> tuple[np.ndarray, np.ndarray]:
    """For counts c_i: (owner index i repeated c_i times, 0..c_i-1 within each)."""
    counts = np.asarray(counts, dtype="int64")
    owner = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    within = np.arange(counts.sum()) - np.repeat(starts, counts)
    return owner, within


def period_month(months) -> np.ndarray:
    m = np.asarray(months, dtype="int64")
    return np.char.add(np.char.add((1970 + m // 12).astype(str), "-"), np.char.zfill((m % 12 + 1).astype(str), 2))


def period_quarter(quarters) -> np.ndarray:
    q = np.asarray(quarters, dtype="int64")  # quarters since 1970-Q1
    return np.char.add(np.char.add((1970 + q // 4).astype(str), "-Q"), (q % 4 + 1).astype(str))


def release_memory() -> None:
    """Hand freed memory back to the OS (glibc keeps freed heap otherwise); a no-op elsewhere."""
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def ascii_only(s: str) -> str:
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
