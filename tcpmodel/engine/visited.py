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

from typing import Optional

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


_FIBONACCI = np.uint64(0x9E3779B97F4A7C15)  # 2**64 / golden ratio, odd
_FEW = 1024  # KeyTable probes this many pending keys or fewer a window of slots at a time


class KeyTable:
    """A set of 64-bit keys, or a map from them to int64 values, in numpy arrays (open
    addressing, linear probing from a Fibonacci-hashed home slot), looked up and filled a batch at a time.

    Exact: it holds the keys themselves (no fingerprint collision is possible); the engine's
    vectorised exact store keeps a model's packed state keys here, and a model its memo
    tables keyed by pairs of component ids. A key costs 8 bytes (16 with a value) over the load
    factor (at most 0.7, at least 0.35 right after a doubling: 11-23 bytes a key; measured on
    the 21.6 M-state configuration, 0.7 instead of 1/2 took a third less memory and the same
    time, the longer probes staying within a cache line). The key 0 marks an empty slot, so it
    lives in a slot of its own past the probed range (index ``capacity``).
    """

    MAX_LOAD = 0.7

    def __init__(self, with_values: bool = False, capacity: int = 1 << 12):
        self.with_values = with_values
        self._allocate(capacity)
        self.count = 0

    def _allocate(self, capacity):
        self.shift = np.uint64(64 - (capacity.bit_length() - 1))
        self.keys = np.zeros(capacity + 1, dtype=np.int64)
        self.values = np.full(capacity + 1, -1, dtype=np.int64) if self.with_values else None
        self.mask = capacity - 1
        self.zero = False  # whether the key 0 is in (at index capacity)

    def __len__(self):
        return self.count

    def _home(self, q: np.ndarray) -> np.ndarray:
        """Home slots: Fibonacci hashing, the top bits of the key times 2**64 / golden ratio
        (two operations, and every bit of the key moves the top ones)."""
        return ((q.view(np.uint64) * _FIBONACCI) >> self.shift).view(np.int64)

    @property
    def nbytes(self) -> int:
        return self.keys.nbytes + (self.values.nbytes if self.with_values else 0)

    def find(self, q: np.ndarray) -> np.ndarray:
        """The slot of each key of ``q`` (int64 array), -1 where it is absent."""
        q = q.view(np.int64) if q.dtype == np.uint64 else q
        keys, mask = self.keys, self.mask
        if not q.all():  # the key 0 has a slot of its own, past the probed range
            out = np.full(len(q), -1, dtype=np.int64)
            zero = q == 0
            if self.zero:
                out[zero] = mask + 1
            rest = np.flatnonzero(~zero)
            out[rest] = self.find(q[rest])
            return out
        # The home slots in one pass: most keys end there (a hit, or an empty slot: absent).
        slot = self._home(q)
        held = keys[slot]
        hit = held == q
        out = np.where(hit, slot, -1)
        go_on = held != 0
        go_on ^= hit  # neither found nor at an empty slot
        pending = np.flatnonzero(go_on)
        if len(pending):
            self._probe_on(pending, q[pending], slot[pending], out=out)
        return out

    def _probe_on(self, pending, want, slot, out=None, values=None):
        """Linear probing after ``slot`` for the keys ``want`` (at positions ``pending`` of
        the query): one slot a round while many keys are pending, then a window of slots a
        round for the last few. A cluster at load 0.7 can be dozens of slots long, and a numpy
        round per slot for the longest few made a hundred rounds a lookup (measured: a
        lookup of 125,000 keys in 2^25 slots, 10.0 ms before, 6.4 ms after).
        find (``out`` given): the slot of each key found into ``out``. insert (``out`` None):
        claim the first empty slot (where several keys claim one, the last write wins and the
        others probe on from it) and set its value, ``values[pending]``, when ``values`` is given."""
        keys, mask = self.keys, self.mask
        while len(pending) > _FEW:  # many keys: one slot a round
            slot += 1
            slot &= mask
            held = keys[slot]
            if out is not None:
                hit = held == want
                out[pending[hit]] = slot[hit]
                go_on = held != 0
                go_on ^= hit
            else:
                claim = np.flatnonzero(held == 0)
                keys[slot[claim]] = want[claim]
                won = claim[keys[slot[claim]] == want[claim]]
                if values is not None:
                    self.values[slot[won]] = values[pending[won]]
                go_on = np.ones(len(pending), dtype=bool)
                go_on[won] = False
            pending, want, slot = pending[go_on], want[go_on], slot[go_on]
        width = 16
        while len(pending):  # the long clusters' few: a window of slots a round
            window = slot[:, None] + np.arange(1, width + 1)
            window &= mask
            held = keys[window]
            ends = held == 0
            if out is not None:
                ends |= held == want[:, None]
            done = ends.any(axis=1)
            at = window[np.arange(len(window)), ends.argmax(axis=1)]  # the first end in the window
            if out is not None:
                found = done & (keys[at] != 0)
                out[pending[found]] = at[found]
            else:
                claim = np.flatnonzero(done)
                keys[at[claim]] = want[claim]
                took = keys[at[claim]] == want[claim]
                won, lost = claim[took], claim[~took]
                if values is not None:
                    self.values[at[won]] = values[pending[won]]
                done[lost] = False
                window[lost, -1] = at[lost]  # probe on from the slot taken by another key
            go_on = ~done
            pending, want, slot = pending[go_on], want[go_on], window[go_on, -1]
            width = min(width * 2, 64)

    def contains(self, q: np.ndarray) -> np.ndarray:
        return self.find(q) >= 0

    def get(self, q: np.ndarray) -> np.ndarray:
        """The value of each key of ``q``, -1 where it is absent (a map)."""
        slots = self.find(q)
        return np.where(slots >= 0, self.values[slots], -1)

    def insert(self, q: np.ndarray, values: Optional[np.ndarray] = None):
        """Add the keys ``q`` -- distinct, none of them in the table yet -- with their values."""
        q = q.view(np.int64) if q.dtype == np.uint64 else q
        if not q.all():  # the key 0 has a slot of its own, past the probed range
            zero = q == 0
            rest = np.flatnonzero(~zero)
            self.insert(q[rest], values[rest] if values is not None else None)  # grows first
            self.zero = True
            self.count += 1
            if values is not None:
                self.values[self.mask + 1] = values[zero][0]
            return
        if self.count + len(q) > self.MAX_LOAD * (self.mask + 1):
            self._grow(self.count + len(q))
        self.count += len(q)
        keys = self.keys
        # Claim the empty home slots; where two keys claim one slot the last write wins and
        # the others probe on.
        slot = self._home(q)
        empty = keys[slot] == 0
        claim = np.flatnonzero(empty)
        keys[slot[claim]] = q[claim]
        won = keys[slot] == q
        if values is not None:
            self.values[slot[won]] = values[won]
        pending = np.flatnonzero(~won)
        if len(pending):
            self._probe_on(pending, q[pending], slot[pending], values=values)

    def needs_room(self, more: int) -> bool:
        """Whether adding ``more`` keys would make the table grow."""
        return self.count + more > self.MAX_LOAD * (self.mask + 1)

    def rebuild(self, needed: int, blocks):
        """Grow to room for ``needed`` keys from ``blocks`` -- ``(keys, values)`` pairs (values
        None in a set) that hold every key in the table -- instead of from the table itself:
        the old table is let go first, so that it and the new one are never held together
        (a doubling from 2^29 to 2^30 slots then holds 8 GB instead of 12 for a set, 16
        instead of 24 for a map)."""
        capacity = self.mask + 1
        while needed > self.MAX_LOAD * capacity:
            capacity *= 2
        self.keys = self.values = None
        self._allocate(capacity)
        self.count = 0
        for keys, values in blocks:
            self.insert(keys, values)

    def _grow(self, needed: int):
        capacity = self.mask + 1
        while needed > self.MAX_LOAD * capacity:
            capacity *= 2
        old_keys, old_values, zero = self.keys, self.values, self.zero
        self._allocate(capacity)
        self.count = 0
        # Moved a block at a time: one insert of every key would make a dozen temporary
        # arrays the size of the table (the peak of a whole run, measured).
        block = 1 << 20
        for i in range(0, len(old_keys) - 1, block):
            keys = old_keys[i:min(i + block, len(old_keys) - 1)]
            held = np.flatnonzero(keys)
            self.insert(keys[held], old_values[i + held] if old_values is not None else None)
        if zero:
            self.zero = True
            self.count += 1
            if old_values is not None:
                self.values[-1] = old_values[-1]
