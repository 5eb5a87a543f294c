"""Reads specs/*.toml into checked configurations.

A spec says which protocol variant, which parameters and faults, which properties, and the
verdict expected of each. No code in spec files, ever: every value is data, and every bad
input is one :class:`~tcpmodel.errors.SpecError` naming the file, the key and what is allowed.

Layout (every table optional except ``expect``)::

    variant = "rfc9293"            # one of tcpmodel.tcp.VARIANTS (a base)
    switches = ["rfc1337"]         # any of tcpmodel.tcp.config.SWITCHES on top of it
    description = "..."            # one line, shown in reports
    [parameters]                   # msl, max_delay, rto, syn_rto, max_retries, window,
                                   # time_wait, lifetime, incarnations, isn, isn_stride,
                                   # isn_choices, channel, client_data, server_data, close,
                                   # abort, simultaneous
    [faults]                       # loss, dup: budgets
    [expect]                       # property = "holds" | "violated"
    [explain]                      # property = "why this verdict" (for findings about TCP)
    [limits]                       # max_states, max_seconds
    [counts]                       # states, transitions, depth: the exact counts expected
    [sweep]                        # the sweeps this spec is the base of (see SWEEP_AXES): each
                                   # axis = [values], properties = [...], max_states, max_seconds
"""

from __future__ import annotations

import math
import os
import stat
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from .errors import SpecError, TcpModelError
from .tcp import CATALOGUE, VARIANTS, TcpConfig
from .tcp.config import BOUNDS, CHANNELS, CLOSE_POLICIES, ISN_POLICIES, LIFETIMES, SWITCHES

TOP_KEYS = ("variant", "switches", "description", "parameters", "faults", "expect", "explain", "limits", "counts",
            "sweep")
EXPECTED = ("holds", "violated")

# ---------------------------------------------------------------------------- echoing input
# Anything taken from a spec (keys, values, descriptions, file names) may be echoed to a
# terminal, a report or an error message. It is escaped (no control character or ANSI escape
# sequence reaches a terminal) and truncated (no 5 MB line).
TEXT_LIMIT = 80            # an offending value or key in an error message
DESCRIPTION_LIMIT = 200    # a spec's description, in tables and reports
EXPLAIN_LIMIT = 2000       # an [explain] text (a few sentences), in tables and reports
MAX_SPEC_BYTES = 1 << 20   # 1 MiB: the largest spec file read (real ones are about 2 KiB)


def _printable(c: str) -> bool:
    # str.isprintable() is False for controls (Cc: ESC, CR, ...), format characters (Cf:
    # bidirectional overrides), line/paragraph separators and unassigned code points; a
    # non-ASCII space (Zs, e.g. the ideographic space of CJK text) is harmless.
    return c.isprintable() or unicodedata.category(c) == "Zs"


def safe_text(value: str, limit: Optional[int] = TEXT_LIMIT) -> str:
    """``value`` fit to echo: non-printable characters escaped as ``\\xNN``/``\\uNNNN``, and
    cut to ``limit`` characters (ending in "…") unless ``limit`` is None."""
    text = str(value)
    head = text if limit is None else text[: limit + 1]
    if not all(map(_printable, head)):
        head = "".join(c if _printable(c) else c.encode("unicode_escape").decode("ascii") for c in head)
    if limit is not None and (len(head) > limit or len(text) > limit + 1):
        head = head[: limit - 1] + "…"
    return head


def safe_value(value) -> str:
    """A spec value for an error message, as Python would show it but bounded: never the whole
    of a huge string, list or integer (``repr`` of an integer over 4,300 digits even raises)."""
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(value) if value.bit_length() <= 64 else f"an integer of {value.bit_length()} bits"
    if isinstance(value, str):
        return "'" + safe_text(value) + "'"
    if isinstance(value, dict):
        return f"a table of {len(value)} key(s)"
    if isinstance(value, list):
        if len(value) > 8 or any(isinstance(v, (list, dict)) for v in value):
            return f"a list of {len(value)} item(s)"
        return safe_text("[" + ", ".join(map(safe_value, value)) + "]")
    return safe_text(str(value))  # dates and times


# ---------------------------------------------------------------------------- the one bounds table
_INT, _BOOL, _STR, _INTLIST = "integer", "boolean", "string", "list of integers"
INT_MAX = 2**31 - 1  # no count or time in a spec needs more; bounds every value JSON must carry


@dataclass(frozen=True)
class Key:
    """What one spec key accepts: its type, and for integers (or each item of an integer
    list) the least and greatest value, for strings the allowed values."""

    kind: str
    low: Optional[int] = None
    high: Optional[int] = None
    allowed: Tuple[str, ...] = ()
    max_items: Optional[int] = None  # for lists


# The bounds, in ONE place: spec files, `sweep` ranges and the CLI limits all read them.
# Why these maxima: the state space grows at least geometrically in every count below (each
# tick of max_delay (msl for duplicates) is one more age every segment in flight may have; each unit of a fault budget
# lets any of the segments in flight be dropped or copied once more; each incarnation or
# octet of data repeats the whole connection or its data phase). Measured on this model
# (specs/rfc9293.toml: msl 2, max_delay 1, rto 2, bag): 12,380 states; loss 1: 174,539;
# dup 1, max_delay 2 or incarnations 2: over 430,000 each (runs stopped at 40 s); msl 3 alone
# (max_delay still 1, no duplicates): 12,384 -- max_delay is the time that counts. Each maximum lies
# far beyond what one run can explore in a machine's memory, so a larger value is a typing
# error, not a wish; the maxima are small integers for the same reason (every value also
# stays far below 2^31, so JSON and every consumer of it are safe). Times may run past MSL
# so that the RTO > MSL and TIME-WAIT > 2*MSL cases stay expressible.
# A new parameter is one row: name = Key(kind, least, greatest) (or allowed=... for words).
PARAMETERS = {
    "msl": Key(_INT, *BOUNDS["msl"]),                 # ticks a segment may live in the network
    "max_delay": Key(_INT, *BOUNDS["max_delay"]),     # ticks an original may be delayed; also at most msl
                                                      # (checked with msl below: duplicates may live msl)
    "rto": Key(_INT, *BOUNDS["rto"]),                 # retransmission timeout, ticks (up to 4*max MSL)
    "syn_rto": Key(_INT, *BOUNDS["syn_rto"]),         # the same for SYN and SYN,ACK
    "max_retries": Key(_INT, *BOUNDS["max_retries"]),
    "window": Key(_INT, *BOUNDS["window"]),           # octets; the data sent is at most client/server_data
    "time_wait": Key(_INT, *BOUNDS["time_wait"]),     # ticks (up to 2*2*max MSL)
    "lifetime": Key(_STR, allowed=LIFETIMES),
    "incarnations": Key(_INT, *BOUNDS["incarnations"]),
    "isn": Key(_STR, allowed=ISN_POLICIES),
    "isn_stride": Key(_INT, *BOUNDS["isn_stride"]),   # sequence numbers between two incarnations' ISNs
                                                      # (the space does not grow with it; ISNs stay far below 2^31)
    "isn_choices": Key(_INTLIST, 0, INT_MAX, max_items=8),  # each one more branch per open
    "channel": Key(_STR, allowed=CHANNELS),
    "client_data": Key(_INT, *BOUNDS["client_data"]), # octets
    "server_data": Key(_INT, *BOUNDS["server_data"]),
    "close": Key(_STR, allowed=CLOSE_POLICIES),
    "abort": Key(_BOOL),
    "simultaneous": Key(_BOOL),
}
FAULTS = {"loss": Key(_INT, *BOUNDS["loss"]), "dup": Key(_INT, *BOUNDS["dup"])}
LIMITS = {
    "max_states": Key(_INT, 1, INT_MAX),
    "max_seconds": Key(_INT, 1, 7 * 24 * 3600),  # a week
}


def bounds(name: str) -> Tuple[Optional[int], Optional[int]]:
    """(least, greatest) value of an integer parameter, fault budget or limit."""
    for table in (PARAMETERS, FAULTS, LIMITS):
        if name in table:
            return table[name].low, table[name].high
    raise KeyError(name)


def _out_of_bounds(low: int, high: int, value: int) -> Optional[str]:
    """None when ``low <= value <= high``, else what is wrong."""
    if value < low:
        return f"must be at least {low}, got {safe_value(value)}"
    if value > high:
        return f"must be at most {high}, got {safe_value(value)}"
    return None


# A run is "certain to be huge" when even an under-estimate of its states is large. The
# estimate is a product: a base (the fewest states of any configuration of the channel with
# msl 1, no data, no faults, one incarnation) times one factor per step of each parameter that
# only adds behaviour, each factor at most the LEAST growth measured for one such step, from
# every such base: every variant with every combination of switches, rto 1 and 3, TIME-WAIT 1
# tick and 2*MSL, window 1, max_retries 0 (320 bases, FIFO and bag; measured 2026-11):
#   base: FIFO 25 to 165 states, bag 53 to 960;
#   max_delay +1 (with msl): x1.39 (FIFO) / x1.58 (bag) at least;  msl +1 beyond max_delay:
#   x1.00 (only duplicates live longer, and only TIME-WAIT waits longer);  loss +1: x1.43;
#   dup +1: x6.0;  incarnations +1: x2.08;  client data +1 octet: x1.16;  server data: x1.22.
# So the time that counts is max_delay (how long an original may be delayed), not msl.
# Parameters that can shrink the space (window, rto, syn_rto, max_retries, time_wait, the
# lifetime tie rule, the ISN policy, the variant and switches) count for nothing; close,
# abort and simultaneous only add actions and count for nothing either. Checked on 85 random
# small configurations with every parameter varied at once (the complete runs of 200 drawn):
# the estimate stayed below each real count (by x1.4 at least), and it stays below every
# shipped spec's [counts] (tests/test_robust_input.py). Being a product of least one-step
# growths, it is far below the real count of large runs: it warns only of runs huge beyond doubt.
HUGE_STATES = 50_000_000  # at tens of thousands of states/s and hundreds of bytes each: hours, GBs
_BASE_STATES = {"fifo": 25, "bag": 50}  # no data, no faults, msl 1: the fewest over every variant
_GROWTH = {"max_delay_ticks": (1, 1.3), "loss": (0, 1.4), "dup": (0, 5.0), "incarnations": (1, 2.0),
           "client_data": (0, 1.15), "server_data": (0, 1.2)}  # attribute -> (reference value, factor)


def estimate_states(config: TcpConfig) -> float:
    """A cheap under-estimate of the distinct states of ``config`` (see _GROWTH)."""
    log = math.log(_BASE_STATES.get(config.channel, min(_BASE_STATES.values())))
    for name, (reference, factor) in _GROWTH.items():
        log += max(0, getattr(config, name) - reference) * math.log(factor)
    return math.exp(min(log, 700.0))


@dataclass(frozen=True)
class Spec:
    """One checked spec file."""

    path: Path
    name: str
    description: str
    config: TcpConfig
    expect: Dict[str, str]
    explain: Dict[str, str] = field(default_factory=dict)
    max_states: Optional[int] = None
    max_seconds: Optional[int] = None
    counts: Dict[str, int] = field(default_factory=dict)  # expected exact counts, see COUNTS
    sweep: Optional["SweepPlan"] = None                   # the [sweep] table, see SWEEP_AXES

    @property
    def properties(self) -> List[str]:
        return list(self.expect)


def _type_ok(kind, value) -> bool:
    if kind == _INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == _BOOL:
        return isinstance(value, bool)
    if kind == _STR:
        return isinstance(value, str)
    return isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value)


def _check_table(path, table_name, table, schema) -> dict:
    if not isinstance(table, dict):
        raise SpecError(path, table_name, f"must be a table, got {type(table).__name__}")
    values = {}
    for key, value in table.items():
        where = f"{table_name}.{safe_text(key)}"
        if key not in schema:
            raise SpecError(path, where, f"unknown key; allowed: {', '.join(schema)}")
        rule = schema[key]
        kind = rule.kind
        if not _type_ok(kind, value):
            raise SpecError(path, where, f"must be {'an' if kind[0] in 'aeiou' else 'a'} {kind}, got {safe_value(value)}")
        if kind == _STR and value not in rule.allowed:
            raise SpecError(path, where, f"unknown value {safe_value(value)}; allowed: {', '.join(rule.allowed)}")
        if kind == _INT:
            wrong = _out_of_bounds(rule.low, rule.high, value)
            if wrong:
                raise SpecError(path, where, wrong)
        if kind == _INTLIST:
            if not value:
                raise SpecError(path, where, "must not be empty")
            if len(value) > rule.max_items:
                raise SpecError(path, where, f"may have at most {rule.max_items} values, got {len(value)}")
            if any(v < rule.low for v in value):
                raise SpecError(path, where, f"every value must be at least {rule.low}, got {safe_value(value)}")
            if any(v > rule.high for v in value):
                raise SpecError(path, where, f"every value must be at most {rule.high}, got {safe_value(value)}")
            value = tuple(value)
        values[key] = value
    return values


def _read(path: Path) -> bytes:
    """The bytes of a regular file of at most MAX_SPEC_BYTES. Opened without blocking (a FIFO
    named *.toml must not hang the run) and checked on the open file, not on the name."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except (OSError, ValueError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise SpecError(path, "", f"cannot read the file: {safe_text(why)}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = "a folder" if stat.S_ISDIR(st.st_mode) else "a device, pipe or socket"
            raise SpecError(path, "", f"is {kind}, not a regular file; a spec is a .toml file")
        if st.st_size > MAX_SPEC_BYTES:
            raise SpecError(path, "", f"is {st.st_size:,} bytes; a spec may have at most {MAX_SPEC_BYTES:,} (1 MiB)")
        chunks, size = [], 0
        while size <= MAX_SPEC_BYTES:
            chunk = os.read(fd, MAX_SPEC_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_SPEC_BYTES:  # it grew while being read
            raise SpecError(path, "", f"has more than {MAX_SPEC_BYTES:,} bytes (1 MiB), the most a spec may have")
        return b"".join(chunks)
    except OSError as exc:
        raise SpecError(path, "", f"cannot read the file: {safe_text(exc.strerror or exc)}") from None
    finally:
        os.close(fd)


MAX_NESTING = 32  # a spec nests arrays and inline tables 2 deep; tomllib recurses per level


def _nesting(text: str) -> int:
    """The deepest nesting of arrays and inline tables in TOML ``text``, strings and comments
    skipped. Checked before parsing, so that the answer does not depend on how deep the Python
    stack already is when tomllib recurses (a RecursionError comes at a depth that varies)."""
    depth = deepest = 0
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif c in "\"'":
            quote = text[i:i + 3] if text[i:i + 3] in ('"""', "'''") else c
            j = i + len(quote)
            while j < n and text[j:j + len(quote)] != quote:
                j += 2 if (c == '"' and text[j] == "\\") else 1
            i = j + len(quote)
            continue
        elif c in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in "]}":
            depth -= 1
        i += 1
    return deepest


def load(path) -> Spec:
    """Read and check one spec file."""
    path = Path(path)
    raw = _read(path)
    try:
        text = raw.decode("utf-8")
        if _nesting(text) > MAX_NESTING:
            raise SpecError(path, "", "malformed TOML: arrays or tables nested too deeply")
        data = tomllib.loads(text)
    except UnicodeDecodeError:
        raise SpecError(path, "", "is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(path, "", f"malformed TOML: {safe_text(exc, 200)}") from None
    except RecursionError:  # tomllib recurses once per level of nested arrays or tables
        raise SpecError(path, "", "malformed TOML: arrays or tables nested too deeply") from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 decimal digits
        raise SpecError(path, "", f"malformed TOML: {safe_text(exc, 200)}") from None
    return from_dict(data, path)


def from_dict(data: dict, path=Path("<dict>")) -> Spec:
    """Check a spec given as data (a parsed TOML document); ``path`` names it in errors."""
    path = Path(path)
    if not isinstance(data, dict):
        raise SpecError(path, "", f"must be a table (dict), got {type(data).__name__}")
    for key in data:
        if key not in TOP_KEYS:
            raise SpecError(path, safe_text(key), f"unknown key; allowed: {', '.join(TOP_KEYS)}")
    variant = data.get("variant", "rfc9293")
    if not isinstance(variant, str) or variant not in VARIANTS:
        raise SpecError(path, "variant", f"unknown variant {safe_value(variant)}; allowed: {', '.join(VARIANTS)}")
    switches = data.get("switches", [])
    if not isinstance(switches, list) or not all(isinstance(x, str) for x in switches):
        raise SpecError(path, "switches", f"must be a list of switch names; allowed: {', '.join(SWITCHES)}")
    for name in switches:
        if name not in SWITCHES:
            raise SpecError(path, "switches", f"unknown switch {safe_value(name)}; allowed: {', '.join(SWITCHES)}")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise SpecError(path, "description", f"must be a string, got {safe_value(description)}")

    params = _check_table(path, "parameters", data.get("parameters", {}), PARAMETERS)
    faults = _check_table(path, "faults", data.get("faults", {}), FAULTS)
    limits = _check_table(path, "limits", data.get("limits", {}), LIMITS)

    if "expect" not in data:
        raise SpecError(path, "expect", "missing: a spec names the properties to check and the verdict expected of each")
    expect = data["expect"]
    if not isinstance(expect, dict) or not expect:
        raise SpecError(path, "expect", "must be a non-empty table of property = \"holds\" | \"violated\"")
    for name, verdict in expect.items():
        if name not in CATALOGUE:
            raise SpecError(path, f"expect.{safe_text(name)}", f"unknown property; allowed: {', '.join(CATALOGUE)}")
        if not isinstance(verdict, str) or verdict not in EXPECTED:
            raise SpecError(path, f"expect.{name}", f"must be \"holds\" or \"violated\", got {safe_value(verdict)}")
    explain = data.get("explain", {})
    if not isinstance(explain, dict):
        raise SpecError(path, "explain", "must be a table of property = \"text\"")
    for name, text in explain.items():
        if name not in expect:
            raise SpecError(path, f"explain.{safe_text(name)}", f"explains a property the spec does not check; checked: {', '.join(expect)}")
        if not isinstance(text, str):
            raise SpecError(path, f"explain.{name}", f"must be a string, got {safe_value(text)}")

    # Cross-field consistency, stated in the spec's own terms.
    msl = params.get("msl", TcpConfig.msl)
    if params.get("max_delay", msl) > msl:
        raise SpecError(path, "parameters.max_delay", f"must be at most msl = {msl}, got {params['max_delay']}")
    if "time_wait" in params and "no_time_wait" in set(VARIANTS[variant]) | set(switches):
        raise SpecError(path, "parameters.time_wait", "means nothing with no_time_wait (there is no TIME-WAIT)")
    if params.get("isn_choices") is not None and params.get("isn", "clock") != "any":
        raise SpecError(path, "parameters.isn_choices", "only means something with isn = \"any\"")

    try:
        config = TcpConfig(variant=variant, switches=tuple(switches), **params, **faults)
    except SpecError:
        raise
    except TcpModelError as exc:  # contradictory switches and parameters, said by the model
        raise SpecError(path, "switches" if switches else "variant", safe_text(exc, 200)) from None
    return Spec(
        path=path,
        name=path.stem,
        description=description,
        config=config,
        expect=dict(expect),
        explain=dict(explain),
        max_states=limits.get("max_states"),
        max_seconds=limits.get("max_seconds"),
        counts=check_counts(path, data.get("counts", {})),
        sweep=check_sweep(path, data["sweep"], config) if "sweep" in data else None,
    )


# --- Expected exact counts and specs from strings (formats) ---------------------------------
# ``[counts]``: the exact counts of a complete run, as TLA+'s manifest records them; a check
# whose run differs is not as expected. scripts/update_spec_counts.py rewrites this table.
COUNTS = {"states": Key(_INT, 1, INT_MAX), "transitions": Key(_INT, 0, INT_MAX), "depth": Key(_INT, 0, INT_MAX)}


def check_counts(path, table) -> Dict[str, int]:
    """The ``[counts]`` table checked: a subset of states, transitions, depth."""
    return _check_table(path, "counts", table, COUNTS)


# --- The sweeps a spec is the base of ([sweep]) ----------------------------------------------
# ``[sweep]``: the grid that ``tcpmodel check`` sweeps around this spec (tcpmodel.frontier runs
# it through tcpmodel.sweep), written as data like every other table:
#
#     [sweep]
#     time_wait = [1, 2, 3, 4, 5]          # an axis: the values, in sweep order
#     lifetime = ["half_open", "closed"]
#     properties = ["graceful_end"]        # default: the spec's [expect]
#     max_states = 100000                  # per point; a point stopped by a limit is undecided
#
# The axes are those of ``tcpmodel sweep`` (its --loss, --dup, ... options), each value checked
# against the bounds of the parameter it sets (one table: PARAMETERS / FAULTS).
SWEEP_AXES = {
    "loss": FAULTS["loss"], "dup": FAULTS["dup"], "time_wait": PARAMETERS["time_wait"],
    "retries": PARAMETERS["max_retries"], "rto": PARAMETERS["rto"],
    "channel": PARAMETERS["channel"], "lifetime": PARAMETERS["lifetime"],
}
SWEEP_KEYS = tuple(SWEEP_AXES) + ("properties",) + tuple(LIMITS)
MAX_SWEEP_VALUES = 16  # values per axis: a sweep is a handful of points, each a whole run
MAX_SWEEP_POINTS = 256  # points of the whole grid (the product of the axes' lengths)


@dataclass(frozen=True)
class SweepPlan:
    """A spec's ``[sweep]`` table, checked: the axes (name, values) in the order written, the
    properties (empty: the spec's [expect]) and the limits of each point."""

    axes: Tuple[Tuple[str, Tuple], ...]
    properties: Tuple[str, ...] = ()
    max_states: Optional[int] = None
    max_seconds: Optional[int] = None

    def values(self, axis: str) -> Tuple:
        """The values of ``axis`` (() when it is not swept)."""
        return dict(self.axes).get(axis, ())


def check_sweep(path, table, config: TcpConfig) -> SweepPlan:
    """The ``[sweep]`` table checked against SWEEP_AXES, the catalogue and LIMITS."""
    if not isinstance(table, dict):
        raise SpecError(path, "sweep", f"must be a table, got {type(table).__name__}")
    axes = []
    for key, values in table.items():
        where = f"sweep.{safe_text(key)}"
        if key not in SWEEP_KEYS:
            raise SpecError(path, where, f"unknown key; allowed: axes {', '.join(SWEEP_AXES)}, "
                                         f"and properties, {', '.join(LIMITS)}")
        if key not in SWEEP_AXES:
            continue
        rule = SWEEP_AXES[key]
        kind = "strings" if rule.kind == _STR else "integers"
        if not isinstance(values, list) or not values:
            raise SpecError(path, where, f"must be a non-empty list of {kind}, got {safe_value(values)}")
        if len(values) > MAX_SWEEP_VALUES:
            raise SpecError(path, where, f"may have at most {MAX_SWEEP_VALUES} values, got {len(values)}")
        for v in values:  # each value as the parameter itself would be checked
            _check_table(path, "sweep", {key: v}, {key: rule})
        if len(set(values)) != len(values):
            raise SpecError(path, where, f"repeats a value: {safe_value(values)}")
        if key == "time_wait" and not config.rules.time_wait_state:
            raise SpecError(path, where, "means nothing with no_time_wait (there is no TIME-WAIT)")
        axes.append((key, tuple(values)))
    if not axes:
        raise SpecError(path, "sweep", f"names no axis; give at least one of: {', '.join(SWEEP_AXES)}")
    points = math.prod(len(v) for _, v in axes)
    if points > MAX_SWEEP_POINTS:
        raise SpecError(path, "sweep", f"spans {points} points; a declared sweep may have at most {MAX_SWEEP_POINTS}")
    properties = table.get("properties", [])
    if not isinstance(properties, list) or not all(isinstance(p, str) for p in properties):
        raise SpecError(path, "sweep.properties", f"must be a list of property names, got {safe_value(properties)}")
    for name in properties:
        if name not in CATALOGUE:
            raise SpecError(path, "sweep.properties", f"unknown property {safe_value(name)}; allowed: {', '.join(CATALOGUE)}")
    limits = _check_table(path, "sweep", {k: v for k, v in table.items() if k in LIMITS}, LIMITS)
    return SweepPlan(axes=tuple(axes), properties=tuple(dict.fromkeys(properties)),
                     max_states=limits.get("max_states"), max_seconds=limits.get("max_seconds"))


def loads(text: str, name: str = "<string>") -> Spec:
    """Check a spec given as TOML text; ``name`` is the spec's name in results and errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(name, "", f"malformed TOML: {exc}") from None
    return from_dict(data, name)


def collect(paths) -> List[Path]:
    """Spec files named on the command line: files as given, folders by their *.toml, sorted."""
    found = []
    for p in paths:
        if str(p) == "":  # Path("") would be the current folder
            raise SpecError("''", "", "an empty file name; give a spec file or a folder")
        p = Path(p)
        try:
            if p.is_dir():
                found.extend(sorted(p.glob("*.toml")))
            elif p.exists():
                found.append(p)
            else:
                raise SpecError(p, "", "no such file or folder")
        except (OSError, ValueError) as exc:  # a name too long, a NUL byte, a folder not readable
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise SpecError(p, "", f"cannot read: {safe_text(why)}") from None
    if not found:
        raise SpecError(", ".join(str(p) for p in paths), "", "holds no *.toml spec")
    return found


def load_all(paths) -> List[Spec]:
    """Load every spec first, so that a bad one stops the run before anything is written."""
    return [load(p) for p in collect(paths)]
