"""64-bit state fingerprints that are the same in every run, process and PYTHONHASHSEED.

``hash(state)`` is not such a fingerprint: ``str``/``bytes``/``Enum`` hashes are seeded per
process (PYTHONHASHSEED), ``hash(None)`` is an address in CPython 3.11, ``hash(-1) ==
hash(-2)`` and ints are hashed modulo 2**61 - 1, so some distinct states collide every time.

The fingerprint is built in two stages so that the hot loop stays in C:

1. every *component* of a state (an element of a tuple state: a TCB, a channel, a counter)
   gets a 60-bit *code*: the first 8 bytes of BLAKE2b over a canonical byte encoding of the
   component (below), shifted right by 4. Codes are memoised in a dict keyed by the component
   itself, so a component seen before (most are: states share TCBs and channels) costs one
   dict lookup; the dict's own (seeded) hash only decides speed, never a code.
2. the fingerprint of a tuple state is CPython's tuple hash (xxHash64's round function) of
   the tuple of codes. The codes are non-negative ints below 2**61 - 1, so each hashes to
   itself: no seed, no -1/-2 clash. A state that is not a tuple gets its own code.

The canonical encoding respects Python equality, as the exact store does: ``1``, ``True`` and
``1.0`` encode alike (they are equal and hash alike), a NamedTuple like the plain tuple it
equals; a frozen dataclass or Enum member includes its class. Anything else (objects hashed by
identity, say) cannot be encoded and is a :class:`ModelDefinitionError`: use
``store="exact"``. Collisions remain possible with probability about n*(t-n)/2**64 (TLC's
"optimistic" estimate, n distinct states, t generated), reported with every result.
"""

from __future__ import annotations

import dataclasses
import enum
from hashlib import blake2b

from ..errors import ModelDefinitionError

MEMO_LIMIT = 1 << 20  # distinct components memoised before the memo starts over (bounded memory)
SPACE = 2.0 ** 64  # Python's hash width: the fingerprint space


def encode(x) -> bytes:
    """A canonical, self-delimiting byte encoding of ``x`` (equal values encode alike)."""
    out = []
    _encode(x, out.append)
    return b"".join(out)


def _encode(x, put):
    if isinstance(x, int):  # bool and IntEnum are ints and equal to them
        put(b"i%d;" % x)
    elif isinstance(x, tuple):  # NamedTuples equal plain tuples
        put(b"(%d:" % len(x))
        for e in x:
            _encode(e, put)
    elif isinstance(x, str):
        data = x.encode("utf-8", "surrogatepass")
        put(b"s%d:" % len(data))
        put(data)
    elif x is None:
        put(b"n")
    elif isinstance(x, float):
        if x.is_integer():
            put(b"i%d;" % int(x))
        else:
            put(b"f" + float.hex(x).encode() + b";")
    elif isinstance(x, bytes):
        put(b"b%d:" % len(x))
        put(x)
    elif isinstance(x, frozenset):
        parts = sorted(encode(e) for e in x)
        put(b"{%d:" % len(parts))
        put(b"".join(parts))
    elif isinstance(x, enum.Enum):
        name = f"{type(x).__module__}.{type(x).__qualname__}.{x.name}".encode()
        put(b"e%d:" % len(name))
        put(name)
    elif dataclasses.is_dataclass(x) and not isinstance(x, type):
        name = f"{type(x).__module__}.{type(x).__qualname__}".encode()
        put(b"d%d:" % len(name))
        put(name)
        _encode(tuple(getattr(x, f.name) for f in dataclasses.fields(x) if f.compare), put)
    else:
        raise ModelDefinitionError(
            f"store='fingerprint' cannot encode a state component of type {type(x).__qualname__} "
            f"({_short(x)}): states must be built of ints, bools, floats, str, bytes, None, tuples, "
            "frozensets, Enums and frozen dataclasses; use store='exact' for other types")


def _short(x, limit=120) -> str:
    try:
        text = repr(x)
    except Exception:  # a broken __repr__ must not hide the real error
        text = f"<{type(x).__qualname__}>"
    return text if len(text) <= limit else text[:limit] + "..."


def code_of(x) -> int:
    """The 60-bit code of one component (not memoised)."""
    return int.from_bytes(blake2b(encode(x), digest_size=8).digest(), "little") >> 4


def make_fingerprint():
    """A fingerprint function with its own memo of component codes."""
    memo = {}
    get = memo.get
    getitem = memo.__getitem__

    def code(x):
        c = get(x)
        if c is None:
            c = code_of(x)
            if len(memo) >= MEMO_LIMIT:
                memo.clear()
            memo[x] = c
        return c

    def fingerprint(state) -> int:
        if isinstance(state, tuple):
            try:  # every component seen before: the common case, all in C
                return hash(tuple(map(getitem, state)))
            except KeyError:
                return hash(tuple(map(code, state)))
        return code(state)

    return fingerprint


def collision_probability(distinct: int, generated: int) -> float:
    """TLC's "optimistic" estimate of the chance that some fingerprint collision occurred.

    TLC (tlc2.tool.ModelChecker, reported as "calculated (optimistic)") uses
    n * (t - n) / 2**64 for n distinct states among t generated ones: each of the t - n
    generated states that matched a stored fingerprint might have matched a different state
    with probability n / 2**64.
    """
    return distinct * max(generated - distinct, 0) / SPACE


# CPython's tuple hash (Objects/tupleobject.c, xxHash64's round, since Python 3.8), over
# uint64 lanes: the fingerprint of a batch of states in a few numpy operations instead of a
# tuple and a hash() call each. Lanes are the components' codes (each code hashes to itself).
_XXPRIME_1 = 11400714785074694791
_XXPRIME_2 = 14029467366897019727
_XXPRIME_5 = 2870177450012600261


def tuple_hashes(lanes):
    """``[hash(tuple(row)) for row in zip(*lanes)]`` as an int64 numpy array, for uint64 numpy
    arrays ``lanes`` of values below 2**61 - 1 (which hash to themselves)."""
    import numpy as np

    p1, p2 = np.uint64(_XXPRIME_1), np.uint64(_XXPRIME_2)
    r31, r33 = np.uint64(31), np.uint64(33)
    acc = np.full(len(lanes[0]), _XXPRIME_5, dtype=np.uint64)
    for lane in lanes:
        acc += lane * p2
        acc = (acc << r31) | (acc >> r33)
        acc *= p1
    acc += np.uint64(len(lanes) ^ (_XXPRIME_5 ^ 3527539))
    acc[acc == np.uint64(2 ** 64 - 1)] = 1546275796  # hash() never returns -1
    return acc.view(np.int64)
