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
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from .errors import SpecError, TcpModelError
from .tcp import CATALOGUE, VARIANTS, TcpConfig
from .tcp.config import CHANNELS, CLOSE_POLICIES, ISN_POLICIES, LIFETIMES, SWITCHES

TOP_KEYS = ("variant", "switches", "description", "parameters", "faults", "expect", "explain", "limits", "counts")
EXPECTED = ("holds", "violated")

# key -> (type, minimum or allowed values, what to say)
_INT, _BOOL, _STR, _INTLIST = "integer", "boolean", "string", "list of integers"
PARAMETERS = {
    "msl": (_INT, 1),
    "max_delay": (_INT, 1),
    "rto": (_INT, 1),
    "syn_rto": (_INT, 1),
    "max_retries": (_INT, 0),
    "window": (_INT, 1),
    "time_wait": (_INT, 1),
    "lifetime": (_STR, LIFETIMES),
    "incarnations": (_INT, 1),
    "isn": (_STR, ISN_POLICIES),
    "isn_stride": (_INT, 1),
    "isn_choices": (_INTLIST, 0),
    "channel": (_STR, CHANNELS),
    "client_data": (_INT, 0),
    "server_data": (_INT, 0),
    "close": (_STR, CLOSE_POLICIES),
    "abort": (_BOOL, None),
    "simultaneous": (_BOOL, None),
}
FAULTS = {"loss": (_INT, 0), "dup": (_INT, 0)}
LIMITS = {"max_states": (_INT, 1), "max_seconds": (_INT, 1)}


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
        where = f"{table_name}.{key}"
        if key not in schema:
            raise SpecError(path, where, f"unknown key; allowed: {', '.join(schema)}")
        kind, rule = schema[key]
        if not _type_ok(kind, value):
            raise SpecError(path, where, f"must be {'an' if kind[0] in 'aeiou' else 'a'} {kind}, got {value!r}")
        if kind == _STR and rule is not None and value not in rule:
            raise SpecError(path, where, f"unknown value {value!r}; allowed: {', '.join(rule)}")
        if kind == _INT and rule is not None and value < rule:
            raise SpecError(path, where, f"must be at least {rule}, got {value}")
        if kind == _INTLIST:
            if not value:
                raise SpecError(path, where, "must not be empty")
            if any(v < rule for v in value):
                raise SpecError(path, where, f"every value must be at least {rule}, got {value}")
            value = tuple(value)
        values[key] = value
    return values


def load(path) -> Spec:
    """Read and check one spec file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecError(path, "", f"cannot read the file: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise SpecError(path, "", "is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(path, "", f"malformed TOML: {exc}") from None
    return from_dict(data, path)


def from_dict(data: dict, path=Path("<dict>")) -> Spec:
    """Check a spec given as data (a parsed TOML document); ``path`` names it in errors."""
    path = Path(path)
    if not isinstance(data, dict):
        raise SpecError(path, "", f"must be a table (dict), got {type(data).__name__}")
    for key in data:
        if key not in TOP_KEYS:
            raise SpecError(path, key, f"unknown key; allowed: {', '.join(TOP_KEYS)}")
    variant = data.get("variant", "rfc9293")
    if not isinstance(variant, str) or variant not in VARIANTS:
        raise SpecError(path, "variant", f"unknown variant {variant!r}; allowed: {', '.join(VARIANTS)}")
    switches = data.get("switches", [])
    if not isinstance(switches, list) or not all(isinstance(x, str) for x in switches):
        raise SpecError(path, "switches", f"must be a list of switch names; allowed: {', '.join(SWITCHES)}")
    for name in switches:
        if name not in SWITCHES:
            raise SpecError(path, "switches", f"unknown switch {name!r}; allowed: {', '.join(SWITCHES)}")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise SpecError(path, "description", f"must be a string, got {description!r}")

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
            raise SpecError(path, f"expect.{name}", f"unknown property; allowed: {', '.join(CATALOGUE)}")
        if verdict not in EXPECTED:
            raise SpecError(path, f"expect.{name}", f"must be \"holds\" or \"violated\", got {verdict!r}")
    explain = data.get("explain", {})
    if not isinstance(explain, dict):
        raise SpecError(path, "explain", "must be a table of property = \"text\"")
    for name, text in explain.items():
        if name not in expect:
            raise SpecError(path, f"explain.{name}", f"explains a property the spec does not check; checked: {', '.join(expect)}")
        if not isinstance(text, str):
            raise SpecError(path, f"explain.{name}", f"must be a string, got {text!r}")

    # Cross-field consistency, stated in the spec's own terms.
    msl = params.get("msl", TcpConfig.msl)
    if params.get("max_delay", msl) > msl:
        raise SpecError(path, "parameters.max_delay", f"must be at most msl = {msl}, got {params['max_delay']}")
    if params.get("isn_choices") is not None and params.get("isn", "clock") != "any":
        raise SpecError(path, "parameters.isn_choices", "only means something with isn = \"any\"")

    try:
        config = TcpConfig(variant=variant, switches=tuple(switches), **params, **faults)
    except TcpModelError as exc:  # contradictory switches and parameters, said by the model
        raise SpecError(path, "switches" if switches else "variant", str(exc)) from None
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
    )


# --- Expected exact counts and specs from strings (formats) ---------------------------------
# ``[counts]``: the exact counts of a complete run, as TLA+'s manifest records them; a check
# whose run differs is not as expected. scripts/update_spec_counts.py rewrites this table.
COUNTS = {"states": (_INT, 1), "transitions": (_INT, 0), "depth": (_INT, 0)}


def check_counts(path, table) -> Dict[str, int]:
    """The ``[counts]`` table checked: a subset of states, transitions, depth."""
    return _check_table(path, "counts", table, COUNTS)


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
        p = Path(p)
        if p.is_dir():
            found.extend(sorted(p.glob("*.toml")))
        elif p.exists():
            found.append(p)
        else:
            raise SpecError(p, "", "no such file or folder")
    if not found:
        raise SpecError(", ".join(str(p) for p in paths), "", "holds no *.toml spec")
    return found


def load_all(paths) -> List[Spec]:
    """Load every spec first, so that a bad one stops the run before anything is written."""
    return [load(p) for p in collect(paths)]
