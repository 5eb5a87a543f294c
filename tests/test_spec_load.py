"""specs/*.toml into checked configurations: what each spec becomes, and every bad input as
one SpecError naming the file, the key and what is allowed."""

from pathlib import Path

import pytest

from tcpmodel.errors import SpecError, TcpModelError
from tcpmodel.spec import PARAMETERS, collect, load, load_all
from tcpmodel.tcp import CATALOGUE, VARIANTS, TcpConfig
from tcpmodel.tcp.config import SWITCHES

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
EXPECT = '[expect]\nno_bogus_open = "holds"\n'


def write(tmp_path, text, name="spec.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path, text):
    path = write(tmp_path, text)
    with pytest.raises(SpecError) as info:
        load(path)
    err = info.value
    assert isinstance(err, TcpModelError)
    assert err.path == str(path)
    assert str(err).startswith(f"{path}: ")
    assert "\n" not in str(err)  # one line
    return err


# --------------------------------------------------------------------------------------------
# The real specs


def test_every_spec_loads_and_names_known_things():
    specs = load_all([SPECS])
    assert [s.name for s in specs] == sorted(p.stem for p in SPECS.glob("*.toml"))
    for spec in specs:
        assert spec.config.variant in VARIANTS
        assert spec.expect and all(p in CATALOGUE for p in spec.expect)
        assert set(spec.expect.values()) <= {"holds", "violated"}
        assert set(spec.explain) <= set(spec.expect)
        assert spec.properties == list(spec.expect)
        assert spec.description


def test_reference_spec_in_detail():
    spec = load(SPECS / "rfc9293.toml")
    assert spec.name == "rfc9293" and spec.path == SPECS / "rfc9293.toml"
    assert spec.config == TcpConfig(variant="rfc9293", msl=2, max_delay=1, rto=2, max_retries=2, window=2,
                                    channel="bag", client_data=1, server_data=1, loss=0, dup=0)
    assert (spec.config.switches, spec.config.label, spec.config.active_switches) == ((), "rfc9293", frozenset())
    assert (spec.config.time_wait, spec.config.time_wait_ticks) == (None, 4)  # 2*MSL
    assert (spec.config.max_delay_ticks, spec.config.syn_rto_ticks) == (1, 2)
    assert (spec.config.lifetime, spec.config.close, spec.config.isn_stride) == ("half_open", "after_data", 10)
    assert list(spec.expect)[:3] == ["no_bogus_open", "no_stale_delivery", "no_reuse_before_2msl"]
    assert spec.expect["graceful_end"] == "violated" and "RFC 1337" in spec.explain["graceful_end"]
    assert spec.max_states is None and spec.max_seconds is None


def test_short_time_wait_spec():
    # short_time_wait is no variant any more: a base with switches, and TIME-WAIT's length as
    # the plain parameter time_wait
    spec = load(SPECS / "short_time_wait.toml")
    c = spec.config
    assert (c.variant, c.switches, c.label, c.active_switches) == (
        "rfc1337", ("ack_throttling",), "rfc1337+ack_throttling", frozenset({"rfc1337", "ack_throttling"}))
    assert (c.msl, c.max_delay, c.time_wait, c.time_wait_ticks, c.incarnations, c.isn, c.channel, c.dup) == (
        2, 1, 1, 1, 2, "constant", "bag", 1)
    # its contrast differs in TIME-WAIT's length alone (2*MSL there)
    contrast = load(SPECS / "rfc1337_reuse_constant_isn.toml").config
    assert contrast.time_wait is None and contrast.time_wait_ticks == 4
    assert contrast == c.replace(time_wait=None) and contrast != c


def test_variants_set_their_switches():
    assert load(SPECS / "two_way_handshake.toml").config.rules.two_way_handshake
    assert load(SPECS / "three_step_close.toml").config.rules.three_step_close
    assert not load(SPECS / "no_time_wait.toml").config.rules.time_wait_state
    assert not load(SPECS / "no_retransmit.toml").config.rules.retransmit
    assert load(SPECS / "rfc1337.toml").config.rules.ignore_rst_in_time_wait
    ref = load(SPECS / "rfc9293.toml").config.rules
    assert (ref.two_way_handshake, ref.three_step_close, ref.time_wait_state, ref.retransmit,
            ref.ignore_rst_in_time_wait, ref.ack_throttling) == (False, False, True, True, False, False)
    # a switch on top of the base: spec key switches = [...]
    throttled = load(SPECS / "rfc9293_throttled.toml").config
    assert (throttled.variant, throttled.switches, throttled.label) == ("rfc9293", ("ack_throttling",),
                                                                        "rfc9293+ack_throttling")
    assert throttled.rules.ack_throttling and not throttled.rules.ignore_rst_in_time_wait
    both = load(SPECS / "rfc1337_reuse.toml").config.rules
    assert both.ignore_rst_in_time_wait and both.ack_throttling and both.time_wait_state


def test_minimal_spec_takes_the_defaults(tmp_path):
    spec = load(write(tmp_path, EXPECT, "tiny.toml"))
    assert spec.name == "tiny" and spec.config == TcpConfig() and spec.description == ""
    assert spec.expect == {"no_bogus_open": "holds"} and spec.explain == {}


def test_every_parameter_and_limit(tmp_path):
    text = """
        variant = "rfc9293"
        switches = ["rfc1337", "ack_throttling"]
        description = "all of it"
        [parameters]
        msl = 3
        max_delay = 2
        rto = 4
        syn_rto = 6
        max_retries = 1
        window = 3
        time_wait = 5
        lifetime = "closed"
        incarnations = 2
        isn = "any"
        isn_stride = 7
        isn_choices = [0, 2]
        channel = "fifo"
        client_data = 2
        server_data = 0
        close = "any_time"
        abort = true
        simultaneous = true
        [faults]
        loss = 2
        dup = 1
        [expect]
        no_bogus_open = "holds"
        eventual_close = "violated"
        [explain]
        eventual_close = "because"
        [limits]
        max_states = 1000
        max_seconds = 5
    """
    spec = load(write(tmp_path, "\n".join(line.strip() for line in text.splitlines())))
    assert spec.config == TcpConfig(switches=("rfc1337", "ack_throttling"), msl=3, max_delay=2, rto=4, syn_rto=6,
                                    max_retries=1, window=3, time_wait=5, lifetime="closed", incarnations=2,
                                    isn="any", isn_stride=7, isn_choices=(0, 2), channel="fifo", client_data=2,
                                    server_data=0, close="any_time", abort=True, simultaneous=True, loss=2, dup=1)
    assert spec.config.label == "rfc9293+rfc1337+ack_throttling"
    assert (spec.config.time_wait_ticks, spec.config.max_delay_ticks, spec.config.syn_rto_ticks) == (5, 2, 6)
    assert (spec.max_states, spec.max_seconds) == (1000, 5)
    assert spec.explain == {"eventual_close": "because"}
    assert set(PARAMETERS) == {"msl", "max_delay", "rto", "syn_rto", "max_retries", "window", "time_wait",
                               "lifetime", "incarnations", "isn", "isn_stride", "isn_choices", "channel",
                               "client_data", "server_data", "close", "abort", "simultaneous"}


# --------------------------------------------------------------------------------------------
# Bad input: (text, key, words in the message)

BAD = {
    "malformed TOML": ('variant = "rfc9293"\n[expect\n', "", "malformed TOML"),
    "not UTF-8": (None, "", "not UTF-8"),
    "unknown top-level key": ("colour = 1\n" + EXPECT, "colour", "allowed: variant, switches, description, parameters"),
    "unknown parameter": ("[parameters]\nmls = 2\n" + EXPECT, "parameters.mls",
                          "unknown key; allowed: msl, max_delay, rto, syn_rto"),
    "unknown fault": ("[faults]\nreorder = 1\n" + EXPECT, "faults.reorder", "allowed: loss, dup"),
    "unknown limit": ("[limits]\nmax_depth = 1\n" + EXPECT, "limits.max_depth", "allowed: max_states, max_seconds"),
    "string for integer": ('[parameters]\nmsl = "two"\n' + EXPECT, "parameters.msl", "must be an integer, got 'two'"),
    "float for integer": ("[parameters]\nrto = 2.5\n" + EXPECT, "parameters.rto", "must be an integer, got 2.5"),
    "boolean for integer": ("[faults]\ndup = true\n" + EXPECT, "faults.dup", "must be an integer, got True"),
    "integer for boolean": ("[parameters]\nabort = 1\n" + EXPECT, "parameters.abort", "must be a boolean, got 1"),
    "negative budget": ("[faults]\nloss = -1\n" + EXPECT, "faults.loss", "must be at least 0, got -1"),
    "zero msl": ("[parameters]\nmsl = 0\n" + EXPECT, "parameters.msl", "must be at least 1, got 0"),
    "time_wait as a word": ('[parameters]\ntime_wait = "long"\n' + EXPECT, "parameters.time_wait", "must be an integer"),
    "unknown isn": ('[parameters]\nisn = "random"\n' + EXPECT, "parameters.isn", "allowed: clock, constant, any"),
    "unknown channel": ('[parameters]\nchannel = "queue"\n' + EXPECT, "parameters.channel", "allowed: bag, fifo"),
    "empty isn_choices": ('[parameters]\nisn = "any"\nisn_choices = []\n' + EXPECT, "parameters.isn_choices", "must not be empty"),
    "isn_choices of strings": ('[parameters]\nisn = "any"\nisn_choices = ["a"]\n' + EXPECT, "parameters.isn_choices",
                               "must be a list of integers"),
    "isn_choices without any": ("[parameters]\nisn_choices = [0, 1]\n" + EXPECT, "parameters.isn_choices", 'isn = "any"'),
    "parameters not a table": ("parameters = 3\n" + EXPECT, "parameters", "must be a table"),
    "unknown variant": ('variant = "rfc793"\n' + EXPECT, "variant", "unknown variant 'rfc793'; allowed: rfc9293,"),
    "variant not a string": ("variant = 1\n" + EXPECT, "variant", "unknown variant 1"),
    "description not a string": ("description = 1\n" + EXPECT, "description", "must be a string"),
    "missing expect": ('variant = "rfc9293"\n', "expect", "missing"),
    "empty expect": ("[expect]\n", "expect", "non-empty table"),
    "unknown property": ('[expect]\nno_bogus_opening = "holds"\n', "expect.no_bogus_opening", "unknown property; allowed: no_bogus_open"),
    "bad expected value": ('[expect]\nno_bogus_open = "yes"\n', "expect.no_bogus_open", 'must be "holds" or "violated", got \'yes\''),
    "expected value not a string": ("[expect]\nno_bogus_open = true\n", "expect.no_bogus_open", "got True"),
    "explain of an unchecked property": (EXPECT + '[explain]\ngraceful_end = "x"\n', "explain.graceful_end",
                                         "does not check; checked: no_bogus_open"),
    "explain not a string": (EXPECT + "[explain]\nno_bogus_open = 1\n", "explain.no_bogus_open", "must be a string"),
    # short_time_wait was a variant; TIME-WAIT's length is now the parameter time_wait
    "short_time_wait is no variant": ('variant = "short_time_wait"\n[parameters]\ntime_wait = 1\n' + EXPECT,
                                      "variant", "unknown variant 'short_time_wait'; allowed: rfc9293,"),
    "short_time_wait is no switch": ('switches = ["short_time_wait"]\n' + EXPECT, "switches",
                                     "unknown switch 'short_time_wait'; allowed: two_way_handshake,"),
    "switches not a list": ('switches = "rfc1337"\n' + EXPECT, "switches", "must be a list of switch names"),
    "switches of integers": ("switches = [1]\n" + EXPECT, "switches", "must be a list of switch names"),
    "switch repeated": ('switches = ["rfc1337", "rfc1337"]\n' + EXPECT, "switches", "switches repeat"),
    "switch that is the variant": ('variant = "rfc1337"\nswitches = ["rfc1337"]\n' + EXPECT, "switches",
                                   "switch 'rfc1337' is already the variant 'rfc1337'"),
    "contradictory switches": ('variant = "no_time_wait"\nswitches = ["rfc1337"]\n' + EXPECT, "switches",
                               "switches no_time_wait and rfc1337 cannot be combined"),
    "contradictory switches, both extra": ('switches = ["rfc1337", "no_time_wait"]\n' + EXPECT, "switches",
                                           "cannot be combined: rfc1337 changes how TIME-WAIT treats a RST"),
    "time_wait without TIME-WAIT": ('variant = "no_time_wait"\n[parameters]\ntime_wait = 4\n' + EXPECT,
                                    "parameters.time_wait", "means nothing with no_time_wait"),
    "time_wait without TIME-WAIT, by a switch": ('switches = ["no_time_wait"]\n[parameters]\ntime_wait = 4\n' + EXPECT,
                                                 "parameters.time_wait", "means nothing with no_time_wait"),
    "zero time_wait": ("[parameters]\ntime_wait = 0\n" + EXPECT, "parameters.time_wait", "must be at least 1, got 0"),
    "max_delay above msl": ("[parameters]\nmsl = 2\nmax_delay = 3\n" + EXPECT, "parameters.max_delay",
                            "must be at most msl = 2, got 3"),
    "max_delay above the default msl": ("[parameters]\nmax_delay = 3\n" + EXPECT, "parameters.max_delay",
                                        "must be at most msl = 2, got 3"),
    "zero syn_rto": ("[parameters]\nsyn_rto = 0\n" + EXPECT, "parameters.syn_rto", "must be at least 1, got 0"),
    "zero isn_stride": ("[parameters]\nisn_stride = 0\n" + EXPECT, "parameters.isn_stride",
                        "must be at least 1, got 0"),
    "unknown lifetime": ('[parameters]\nlifetime = "open"\n' + EXPECT, "parameters.lifetime",
                         "allowed: half_open, closed"),
    "unknown close policy": ('[parameters]\nclose = "never"\n' + EXPECT, "parameters.close",
                             "allowed: after_data, any_time"),
    "zero max_states": ("[limits]\nmax_states = 0\n" + EXPECT, "limits.max_states", "at least 1"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input(tmp_path, case):
    text, key, words = BAD[case]
    if text is None:
        path = tmp_path / "spec.toml"
        path.write_bytes(b'description = "\xff"\n' + EXPECT.encode())
        with pytest.raises(SpecError) as info:
            load(path)
        err = info.value
    else:
        err = error_of(tmp_path, text)
    assert err.key == key
    if key:
        assert str(err).startswith(f"{err.path}: {key}: ")
    assert words in err.message, err.message


@pytest.mark.parametrize("variant", [v for v in VARIANTS if v != "no_time_wait"])
@pytest.mark.parametrize("time_wait", [1, 3, 4, 9])
def test_time_wait_is_a_plain_parameter(tmp_path, variant, time_wait):
    # any length, below, at or above 2*MSL, with every base that has a TIME-WAIT
    spec = load(write(tmp_path, f'variant = "{variant}"\n[parameters]\nmsl = 2\ntime_wait = {time_wait}\n' + EXPECT))
    assert (spec.config.variant, spec.config.time_wait, spec.config.time_wait_ticks) == (variant, time_wait, time_wait)
    assert load(write(tmp_path, f'variant = "{variant}"\n[parameters]\nmsl = 3\n' + EXPECT)).config.time_wait_ticks == 6


def test_switches_compose_on_any_base(tmp_path):
    spec = load(write(tmp_path, 'variant = "three_step_close"\nswitches = ["ack_throttling", "rfc1337"]\n' + EXPECT))
    c = spec.config
    assert (c.switches, c.label) == (("ack_throttling", "rfc1337"), "three_step_close+ack_throttling+rfc1337")
    assert c.active_switches == {"three_step_close", "ack_throttling", "rfc1337"}
    assert (c.rules.three_step_close, c.rules.ack_throttling, c.rules.ignore_rst_in_time_wait) == (True, True, True)
    assert (c.rules.two_way_handshake, c.rules.time_wait_state, c.rules.retransmit) == (False, True, True)
    # every base with every switch it does not contradict or repeat loads
    for base in VARIANTS:
        for switch in SWITCHES:
            if switch in VARIANTS[base] or {switch, *VARIANTS[base]} == {"no_time_wait", "rfc1337"}:
                continue
            c = load(write(tmp_path, f'variant = "{base}"\nswitches = ["{switch}"]\n' + EXPECT)).config
            assert c.active_switches == {switch, *VARIANTS[base]}


def test_missing_file_and_empty_folder(tmp_path):
    with pytest.raises(SpecError) as info:
        load(tmp_path / "nope.toml")
    assert "cannot read" in str(info.value)
    with pytest.raises(SpecError) as info:
        collect([tmp_path / "nope.toml"])
    assert str(info.value) == f"{tmp_path / 'nope.toml'}: no such file or folder"
    with pytest.raises(SpecError) as info:
        collect([tmp_path])
    assert "holds no *.toml spec" in str(info.value)


def test_collect_sorts_folders_and_keeps_files_in_order(tmp_path):
    for name in ("b.toml", "a.toml", "notes.txt"):
        write(tmp_path, EXPECT, name)
    assert collect([tmp_path]) == [tmp_path / "a.toml", tmp_path / "b.toml"]
    assert collect([tmp_path / "b.toml", tmp_path / "a.toml"]) == [tmp_path / "b.toml", tmp_path / "a.toml"]


def test_load_all_stops_at_the_first_bad_spec(tmp_path):
    write(tmp_path, EXPECT, "a.toml")
    write(tmp_path, "[faults]\nloss = -1\n" + EXPECT, "b.toml")
    with pytest.raises(SpecError) as info:
        load_all([tmp_path])
    assert info.value.path == str(tmp_path / "b.toml") and info.value.key == "faults.loss"
