"""Teaching mode: each topic's verdict pair, the step where the variant and the real protocol
part, and the same steps in English and Chinese."""

import re
import subprocess
import sys

import pytest

from tcpmodel.explain import TOPICS, explain

# topic -> (variant with its switches, property, variant steps, parting step, real steps)
EXPECTED = {
    "handshake": ("two_way_handshake", "no_bogus_open", 11, 11, 18),
    "close": ("three_step_close", "close_delivers_all", 12, 10, 22),
    "time-wait": ("rfc1337+ack_throttling", "no_stale_delivery", 20, 17, 22),
    "retransmission": ("no_retransmit", "eventual_close", 2, 3, 26),
}


@pytest.fixture(scope="module")
def lessons():
    return {(t, lang): explain(t, lang) for t in TOPICS for lang in ("en", "zh")}


@pytest.mark.parametrize("topic", sorted(EXPECTED))
def test_verdict_pair_and_parting_step(lessons, topic):
    variant, prop, n_variant, parting, n_real = EXPECTED[topic]
    lesson = lessons[(topic, "en")]
    v_cfg, r_cfg = lesson.variant_model.config, lesson.real_model.config
    assert v_cfg.label == variant
    if topic == "time-wait":
        # short_time_wait.toml: the contrast differs from the variant in TIME-WAIT's length only
        assert r_cfg == v_cfg.replace(time_wait=None)
        assert (v_cfg.time_wait_ticks, r_cfg.time_wait_ticks) == (1, 4)
    else:
        assert r_cfg == v_cfg.replace(variant="rfc9293") and r_cfg.label == "rfc9293"
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
    # FIFO network: the server takes the client's ACK, its data octet and its FIN in that order
    # (steps 6-8); answering the FIN with FIN,ACK at once leaves nothing for the server's SEND.
    assert ('Step 8 differs: the variant does "server: receive FIN,ACK seq=102 ack=301 → LAST-ACK, send FIN,ACK seq=301 ack=103", '
            'the real protocol "server: receive FIN,ACK seq=102 ack=301 → CLOSE-WAIT, send ACK seq=301 ack=103"') in text
    assert 'Step 9 differs: the variant does "server: SEND", the real protocol "server: SEND, send ACK seq=301 ack=103 data=1"' in text
    assert ('at step 10 the variant does "server: CLOSE"; the real protocol, given the same event, does '
            '"server: CLOSE → LAST-ACK, send FIN,ACK seq=302 ack=103"') in text
    assert lesson.variant_steps[-1] == "client: receive FIN,ACK seq=301 ack=103 → TIME-WAIT, send ACK seq=103 ack=302"


def test_time_wait_parts_where_the_short_time_wait_ends(lessons):
    lesson = lessons[("time-wait", "en")]
    text = " ".join(lesson.paragraphs)
    assert ("The broken variant is rfc1337+ack_throttling; the real protocol is RFC 9293 + rfc1337 + ack_throttling "
            "with TIME-WAIT of 2*MSL = 4 ticks (the variant has 1).") in text
    assert "step 7, network: duplicate client→server ACK seq=101 ack=301 data=1" in text
    # After one tick the variant's TIME-WAIT ends; the real protocol's cannot yet, and the
    # old duplicate reaches the LISTENing server, which resets it (RFC 1337: TIME-WAIT
    # ignores the RST).
    assert lesson.variant_steps[15:17] == ["tick", "client: TIME-WAIT timeout → CLOSED"]
    assert lesson.real_steps[16:18] == ["server: receive ACK seq=101 ack=301 data=1, send RST seq=301",
                                        "client: receive RST seq=301, (no change)"]
    assert lesson.real_steps[-1] == "client: TIME-WAIT timeout → CLOSED"
    # The second connection (same ISN) takes the old octet as its own.
    assert lesson.variant_steps[17:] == [
        "client: OPEN (active), ISS=100 → SYN-SENT, send SYN seq=100",
        "server: receive SYN seq=100 → SYN-RECEIVED, send SYN,ACK seq=300 ack=101",
        "server: receive ACK seq=101 ack=301 data=1 → ESTABLISHED, send ACK seq=301 ack=102",
    ]
    assert (lesson.variant_name, lesson.real_name) == ("rfc1337+ack_throttling, time_wait=1",
                                                       "RFC 9293 + rfc1337 + ack_throttling")


def test_retransmission_lesson_is_a_dead_end(lessons):
    lesson = lessons[("retransmission", "en")]
    assert lesson.variant_trace.dead_end
    assert lesson.variant_steps == ["client: OPEN (active), ISS=100 → SYN-SENT, send SYN seq=100",
                                    "network: lose client→server SYN seq=100"]
    # RTO = 2 ticks: two ticks, then the SYN again
    assert lesson.real_steps[2:5] == ["tick", "tick", "client: retransmission timeout, send SYN seq=100"]


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
