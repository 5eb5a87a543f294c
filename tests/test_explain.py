"""Teaching mode: each topic's verdict pair, the step where the variant and the real protocol
part, and the same steps in English and Chinese."""

import re
import subprocess
import sys

import pytest

from tcpmodel.explain import TOPICS, explain

@pytest.fixture(scope="module")
def lessons():
    return {(t, lang): explain(t, lang) for t in TOPICS for lang in ("en", "zh")}


def test_real_protocol_configurations(lessons):
    for topic in ("handshake", "close", "retransmission"):
        lesson = lessons[(topic, "en")]
        v_cfg, r_cfg = lesson.variant_model.config, lesson.real_model.config
        assert r_cfg == v_cfg.replace(variant="rfc9293") and r_cfg.label == "rfc9293"
    old_dup = lessons[("time-wait", "en")].parts[1]
    v_cfg, r_cfg = old_dup.variant_model.config, old_dup.real_model.config
    # short_time_wait.toml: the contrast differs from the variant in TIME-WAIT's length only
    assert r_cfg == v_cfg.replace(time_wait=None)
    assert (old_dup.variant_name, old_dup.real_name) == ("rfc1337+ack_throttling, time_wait=1",
                                                         "RFC 9293 + rfc1337 + ack_throttling")


def test_handshake_real_run_refuses_the_old_syn(lessons):
    lesson = lessons[("handshake", "en")]
    assert lesson.real_steps[10] == "server: receive SYN seq=100 → SYN-RECEIVED, send SYN,ACK seq=310 ack=101"
    # The real protocol's old-duplicate recovery (RFC 9293 Figure 8): the client answers the
    # SYN,ACK of the bogus connection with a RST and the server returns to LISTEN.
    assert lesson.real_steps[-2:] == [
        "client: receive SYN,ACK seq=310 ack=101, send RST seq=101",
        "server: receive RST seq=101 → LISTEN",
    ]
    text = " ".join(lesson.paragraphs)
    assert "Step 2: the network duplicates the client→server segment SYN seq=100." in text


def test_time_wait_old_duplicate_reaches_the_listening_server(lessons):
    part = lessons[("time-wait", "en")].parts[1]
    assert "Step 7: the network duplicates the client→server segment ACK seq=101 ack=301 data=1." in part.variant_text
    # After one tick the variant's TIME-WAIT ends; the real protocol's cannot yet, and the
    # old duplicate reaches the LISTENing server, which resets it (RFC 1337: TIME-WAIT
    # ignores the RST).
    assert part.variant_steps[15:17] == ["tick", "client: TIME-WAIT timeout → CLOSED"]
    assert part.real_steps[16:18] == ["server: receive ACK seq=101 ack=301 data=1, send RST seq=301",
                                      "client: receive RST seq=301, (no change)"]
    assert part.real_steps[-1] == "client: TIME-WAIT timeout → CLOSED"
    # The second connection (same ISN) takes the old octet as its own.
    assert part.variant_steps[17:] == [
        "client: OPEN (active), ISS=100 → SYN-SENT, send SYN seq=100",
        "server: receive SYN seq=100 → SYN-RECEIVED, send SYN,ACK seq=300 ack=101",
        "server: receive ACK seq=101 ack=301 data=1 → ESTABLISHED, send ACK seq=301 ack=102",
    ]


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


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_zh_and_en_carry_the_same_steps(lessons, topic):
    en, zh = lessons[(topic, "en")], lessons[(topic, "zh")]
    assert en.title != zh.title
    for e, z in zip(en.parts, zh.parts):
        assert len(e.variant_steps) == len(z.variant_steps) and len(e.real_steps) == len(z.real_steps)
        for a, b in zip(e.variant_steps + e.real_steps, z.variant_steps + z.real_steps):
            assert _numbers(a) == _numbers(b), (a, b)
        assert e.decisive_step == z.decisive_step
        # every computed sentence carries the same numbers (thousands separators aside)
        assert len(e.paragraphs) == len(z.paragraphs)
        for a, b in zip(e.paragraphs + [e.conclusion], z.paragraphs + [z.conclusion]):
            a = re.sub(r"(?<=\d),(?=\d{3})", "", a).replace("4-tuple", "")  # 四元组
            assert re.findall(r"\d+", a) == re.findall(r"\d+", b), (a, b)
    assert len(en.paragraphs) == len(zh.paragraphs)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in "".join(zh.paragraphs))


def test_cli_explain_writes_page_and_ladders(tmp_path):
    out = subprocess.run([sys.executable, "-m", "tcpmodel", "explain", "close", "--lang", "zh", "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "为什么关闭连接需要四个报文段" in out.stdout
    page = (tmp_path / "explain" / "close.zh.html").read_text(encoding="utf-8")
    assert "three_step_close" in page and "RFC 9293" in page and "written" not in out.stdout
    assert "已写入：" in out.stdout
    for stem in ("close-variant", "close-real"):
        assert (tmp_path / "explain" / f"{stem}.dot").exists()


def test_cli_explain_rejects_unknown_topic():
    out = subprocess.run([sys.executable, "-m", "tcpmodel", "explain", "nonsense"], capture_output=True, text=True)
    assert out.returncode == 2
    assert "invalid choice" in out.stderr
