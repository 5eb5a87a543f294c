"""Teaching mode: each topic's verdict pair, the step where the variant and the real protocol
part, and the same steps in English and Chinese."""

import re
import subprocess
import sys

import pytest

from tcpmodel.explain import TOPICS, explain

# topic -> (variant, property, variant steps, parting step, real steps)
EXPECTED = {
    "handshake": ("two_way_handshake", "no_bogus_open", 11, 11, 18),
    "close": ("three_step_close", "close_delivers_all", 10, 9, 21),
    "time-wait": ("short_time_wait", "no_stale_delivery", 25, 18, 25),
    "retransmission": ("no_retransmit", "eventual_close", 2, 3, 25),
}


@pytest.fixture(scope="module")
def lessons():
    return {(t, lang): explain(t, lang) for t in TOPICS for lang in ("en", "zh")}


@pytest.mark.parametrize("topic", sorted(EXPECTED))
def test_verdict_pair_and_parting_step(lessons, topic):
    variant, prop, n_variant, parting, n_real = EXPECTED[topic]
    lesson = lessons[(topic, "en")]
    assert lesson.variant_model.config.variant == variant
    assert lesson.real_model.config.variant == "rfc9293"
    assert lesson.property == prop
    assert (lesson.variant_status, lesson.real_status) == ("violated", "holds")
    assert len(lesson.variant_steps) == n_variant
    assert lesson.parting_step == parting
    assert len(lesson.real_steps) == n_real


def test_handshake_parts_at_the_old_syn(lessons):
    lesson = lessons[("handshake", "en")]
    assert lesson.variant_steps[10] == "server: receive SYN seq=100 → ESTABLISHED, send SYN,ACK seq=310 ack=101"
    assert lesson.real_steps[10] == "server: receive SYN seq=100 → SYN-RECEIVED, send SYN,ACK seq=310 ack=101"
    # The real protocol's old-duplicate recovery (RFC 9293 Figure 8): the client answers the
    # SYN,ACK of the bogus connection with a RST and the server returns to LISTEN.
    assert lesson.real_steps[-2:] == [
        "client: receive SYN,ACK seq=310 ack=101, send RST seq=101",
        "server: receive RST seq=101 → LISTEN",
    ]
    text = " ".join(lesson.paragraphs)
    assert "network: duplicate client→server SYN seq=100" in text
    assert "at step 11" in text


def test_close_names_the_lost_half_close_data(lessons):
    lesson = lessons[("close", "en")]
    text = " ".join(lesson.paragraphs)
    assert 'Step 7 differs: the variant does "server: receive FIN,ACK seq=102 ack=301 → LAST-ACK' in text
    assert 'Step 8 differs: the variant does "server: SEND", the real protocol "server: SEND, send ACK seq=301 ack=103 data=1"' in text


def test_retransmission_lesson_is_a_dead_end(lessons):
    lesson = lessons[("retransmission", "en")]
    assert lesson.variant_trace.dead_end
    assert lesson.variant_steps == ["client: OPEN (active), ISS=100 → SYN-SENT, send SYN seq=100",
                                    "network: lose client→server SYN seq=100"]
    assert lesson.real_steps[5] == "client: retransmission timeout, send SYN seq=100"


def _numbers(text):
    """The protocol content of a step: every number and protocol word, in order."""
    return re.findall(r"[A-Z][A-Z,\-]+[A-Z]|\d+", text)


@pytest.mark.parametrize("topic", sorted(EXPECTED))
def test_zh_and_en_carry_the_same_steps(lessons, topic):
    en, zh = lessons[(topic, "en")], lessons[(topic, "zh")]
    assert en.title != zh.title
    assert len(en.variant_steps) == len(zh.variant_steps) and len(en.real_steps) == len(zh.real_steps)
    for a, b in zip(en.variant_steps + en.real_steps, zh.variant_steps + zh.real_steps):
        assert _numbers(a) == _numbers(b), (a, b)
    assert len(en.paragraphs) == len(zh.paragraphs)
    assert en.parting_step == zh.parting_step
    assert any("\u4e00" <= ch <= "\u9fff" for ch in "".join(zh.paragraphs))


def test_cli_explain_writes_page_and_ladders(tmp_path):
    out = subprocess.run([sys.executable, "-m", "tcpmodel", "explain", "close", "--lang", "zh", "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "为什么关闭连接需要四个报文段" in out.stdout
    page = (tmp_path / "explain" / "close.zh.html").read_text(encoding="utf-8")
    assert "three_step_close" in page and "RFC 9293" in page
    for stem in ("close-variant", "close-real"):
        assert (tmp_path / "explain" / f"{stem}.dot").exists()


def test_cli_explain_rejects_unknown_topic():
    out = subprocess.run([sys.executable, "-m", "tcpmodel", "explain", "nonsense"], capture_output=True, text=True)
    assert out.returncode == 2
    assert "invalid choice" in out.stderr
