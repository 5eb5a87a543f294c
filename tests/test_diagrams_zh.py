"""Natural Chinese in the step texts (tcp/text.py) and the ladders (render/ladder.py): no
untranslated UI words, no half-width punctuation inside Chinese sentences, the chosen terms,
and the terminal underline measured in display width."""

import re
from pathlib import Path

import pytest

from tcpmodel.render.canonical import canonical_runs
from tcpmodel.render.ladder import WORDS as LADDER_WORDS
from tcpmodel.render.ladder import ladder
from tcpmodel.run import run_spec
from tcpmodel.spec import load_all
from tcpmodel.tcp.text import describe, display_width, format_action, words
from tcpmodel.tcp.actions import TICK, duplicate, kind, segment_of
from tcpmodel.tcp.tcb import C2S

SPECS = Path(__file__).resolve().parent.parent / "specs"

# English UI words that must not appear in Chinese text (protocol names are upper case and
# stay; so do the segment fields seq=, ack=, data=, which are notation, not words).
UI_WORDS = ("written", "receive", "send", "lose", "lost", "duplicate", "dup", "tick", "ticks", "client", "server",
            "network", "step", "violation", "witness", "in flight", "rexmt", "old incarnation", "incarnation",
            "restarted", "timer", "no change", "timeout", "active", "passive", "data", "cycle", "repeats",
            "back to", "bag", "fifo")
# Wrong or mixed terms: 复制 for duplicate, 这一代/化身 for incarnation (we say 连接实例).
WRONG_TERMS = ("复制", "这一代", "化身")
CJK = "\u3400-\u4dbf\u4e00-\u9fff"
HALF_WIDTH_IN_CHINESE = re.compile(rf"[{CJK}] *[,.;:!?()]|[,.;:!?()] *[{CJK}]")


def problems(text):
    """What is wrong with one Chinese string, as a list of findings."""
    bare = re.sub(r"\b(seq|ack|data)=\d+|\{\w+\}", "", text)  # segment fields, frame placeholders
    found = [f"UI word {w!r}" for w in UI_WORDS if re.search(rf"(?<![A-Za-z]){w}(?![A-Za-z])", bare)]
    found += [f"term {t!r}" for t in WRONG_TERMS if t in text]
    found += [f"half-width {m.group()!r}" for m in HALF_WIDTH_IN_CHINESE.finditer(text)]
    return found


def test_the_checker_catches_what_the_issue_found():
    assert problems("结论：变体 被违反 (bag 网络)") == ["UI word 'bag'", "half-width '反 ('", "half-width '络)'"]
    assert problems("网络：复制 客户端→服务器") == ["term '复制'"]
    assert problems("written: out/explain") == ["UI word 'written'"]
    assert problems("服务器：收到 SYN,ACK seq=300 ack=101，发送 ACK seq=101 ack=301 data=1") == []


@pytest.fixture(scope="module")
def traces():
    out = []
    for name in ("no_time_wait", "two_way_handshake", "rfc9293_faults", "rfc9293_simultaneous", "canonical_lost_ack"):
        run = run_spec(load_all([str(SPECS / f"{name}.toml")])[0])
        out += [(name, prop, v.trace) for prop, v in run.result.verdicts.items() if v.trace is not None]
    return out


def test_zh_words_and_frames():
    for table in (words("zh"), LADDER_WORDS["zh"]):
        for key, text in table.items():
            if key in ("sep", "colon", "seg_sep", "notes", "note_sep"):
                continue
            assert problems(text) == [], (key, text)
    assert set(words("zh")) == set(words("en")) and set(LADDER_WORDS["zh"]) == set(LADDER_WORDS["en"])
    assert LADDER_WORDS["zh"]["old incarnation"] == "旧连接实例" and LADDER_WORDS["zh"]["dup"] == "重复报文段"


def test_every_zh_step_reads_as_chinese(traces):
    kinds = set()
    for name, prop, trace in traces:
        for _, s, a, t in trace.steps():
            kinds.add(kind(a))
            line = describe(s, a, t, "zh")
            assert problems(line) == [], (name, prop, line)
    assert {"OPEN", "SEND", "CLOSE", "deliver", "lose", "dup", "tick", "timeout"} <= kinds
    dup = duplicate(C2S, segment_of(next(a for *_, tr in traces for a in tr.actions if kind(a) == "dup")))
    assert format_action(dup, "zh") == "网络：重复投递客户端→服务器的报文段 " + format_action(dup, "en").split(" ", 3)[3]
    assert format_action(TICK, "zh") == "时间推进一个单位"


def test_zh_ladders(traces):
    for name, prop, trace in traces:
        src = ladder(trace, "", "violation", "zh", msl=2).source
        for label in re.findall(r'label="((?:[^"\\]|\\.)*)"', src):
            for line in re.split(r"\\[nlr]", label):
                assert problems(line) == [], (name, prop, line)
    found, _ = canonical_runs([run_spec(load_all([str(SPECS / "canonical_lost_ack.toml")])[0], keep_graph=True)])
    lost_ack = next(c.trace for c in found if c.item.name == "time_wait_lost_ack")
    src = ladder(lost_ack, "", "none", "zh", msl=2).source
    assert "TIME-WAIT（重新计时）\\r2MSL = 4 个时间单位\\r" in src and "（丢失）" in src and "（重传）" in src
    for label in re.findall(r'label="((?:[^"\\]|\\.)*)"', src):
        for line in re.split(r"\\[nlr]", label):
            assert problems(line) == [], line
    with pytest.raises(ValueError, match="allowed: en, zh"):
        ladder(traces[0][2], lang="fr")


def test_display_width_and_the_explain_underline(capsys):
    assert display_width("TIME-WAIT") == 9
    assert display_width("为什么要 TIME-WAIT？") == 8 + 1 + 9 + 2
    assert display_width("e\u0301") == 1  # a combining accent takes no column
    from tcpmodel.cli import main

    assert main(["explain", "close", "--lang", "zh", "--no-write"]) == 0
    lines = capsys.readouterr().out.splitlines()
    title, underline = lines[:2]
    assert re.search(f"[{CJK}]", title)
    assert underline == "=" * display_width(title) and len(underline) > len(title)
    assert "变体：" in lines and "真实协议（RFC 9293）：" in lines
    steps = [x for x in lines if re.match(r"^ +\d+\. ", x)]
    assert steps and all(problems(x.split(". ", 1)[1].replace("  <--", "")) == [] for x in steps)
