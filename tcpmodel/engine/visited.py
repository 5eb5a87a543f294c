"""A visited set of 64-bit fingerprints in one numpy array (open addressing, linear probing),
probed a batch at a time.

Why: a Python ``set`` of fingerprints costs a 48-byte int object per state (a 64-bit value is
a 3-digit int) plus 16-byte slots at most 60 % full: 80-100 bytes a state. Here a state costs
8 bytes / load factor (at most 1/2, at least 1/4 after a doubling): 16-32 bytes, and a
batch of a few thousand fingerprints is looked up and inserted by a handful of numpy
operations instead of a Python call each.

The value 0 marks an empty slot; the fingerprint 0 itself is remembered by a flag.
"""

from __future__ import annotations

import numpy as np

MAX_LOAD = 0.5


class FingerprintTable:
    def __init__(self, capacity: int = 1 << 16):
        self.table = np.zeros(capacity, dtype=np.int64)
        self.mask = capacity - 1
        self.count = 0
        self.has_zero = False

    def __len__(self):
        return self.count

    def add_new(self, fps: np.ndarray) -> np.ndarray:
        """Insert ``fps`` (distinct fingerprints, int64) and say which were new (bool array)."""
        new = np.zeros(len(fps), dtype=bool)
        zero = fps == 0
        if zero.any():  # 0 marks empty slots: the fingerprint 0 is a flag
            new[zero] = not self.has_zero
            self.has_zero = True
            self.count += int(new[zero].sum())
            rest = np.flatnonzero(~zero)
            new[rest] = self.add_new(fps[rest])
            return new
        if (self.count + len(fps)) > MAX_LOAD * len(self.table):
            self._grow(self.count + len(fps))
        table, mask = self.table, self.mask
        pending = np.arange(len(fps))
        want = fps
        # The fingerprints are uniformly distributed: their low bits are the home slot.
        slot = fps & mask
        while len(pending):
            held = table[slot]
            found = held == want
            empty = held == 0
            # Claim the empty slots; where two want the same slot, the last write wins and
            # the others probe on.
            table[slot[empty]] = want[empty]
            won = np.zeros(len(pending), dtype=bool)
            won[empty] = table[slot[empty]] == want[empty]
            new[pending[won]] = True
            go_on = ~(found | won)
            pending, want, slot = pending[go_on], want[go_on], (slot[go_on] + 1) & mask
        self.count += int(new.sum())
        return new

    def _grow(self, needed: int):
        capacity = len(self.table)
        while needed > MAX_LOAD * capacity:
            capacity *= 2
        old = self.table
        held = old[old != 0]
        self.table = np.zeros(capacity, dtype=np.int64)
        self.mask = capacity - 1
        count, has_zero = self.count, self.has_zero
        self.count, self.has_zero = 0, False
        del old
        self.add_new(held)
        self.count, self.has_zero = count, has_zero

    @property
    def nbytes(self) -> int:
        return self.table.nbytes
