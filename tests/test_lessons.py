"""Lesson pages (tcpmodel explain): each lesson's computed facts -- the decisive step and its
action, verdicts, state counts, the real run's remarks, both TIME-WAIT reasons -- the Chinese
pages' wording and punctuation, and the ladders' size on the page."""

import html as htmllib
import re
import shutil
import subprocess
import sys

import pytest

from tcpmodel.explain import TOPICS, _replay, _step_faults, explain
from tcpmodel.library import catalogue_dir
from tcpmodel.render import write_lesson
from tcpmodel.render.lesson import ladder_size
from tcpmodel.render.ladder import ladder
from tcpmodel.spec import load
from tcpmodel.tcp.actions import kind, segment_of, sent_segments, timeout
from tcpmodel.tcp.properties import CATALOGUE
from tcpmodel.tcp.tcb import CLIENT, ESTABLISHED, FIN, LAST_ACK, CLOSE_WAIT, CLOSED, TIME_WAIT, LISTEN, SYN_RECEIVED

# topic -> per part: (key, variant label, property, variant steps, decisive step, how it is
# decisive, the decisive step's text, every deviating step, steps replayed, real steps, real states)
EXPECTED = {
    "handshake": [("old-syn", "two_way_handshake", "no_bogus_open", 11, 11, "deviation",
                   "server: receive SYN seq=100 → ESTABLISHED, send SYN,ACK seq=310 ack=101", [3, 11], 11, 18, 11169)],
    "close": [("half-close", "three_step_close", "close_delivers_all", 12, 8, "deviation",
               "server: receive FIN,ACK seq=102 ack=301 → LAST-ACK, send FIN,ACK seq=301 ack=103", [8], 11, 22, 138)],
    "time-wait": [
        ("lost-ack", "no_time_wait", "graceful_end", 21, 15, "deviation",
         "client: receive FIN,ACK seq=302 ack=103 → CLOSED, send ACK seq=103 ack=303", [15], 20, 27, 1211),
        ("old-duplicates", "rfc1337+ack_throttling", "no_stale_delivery", 20, 17, "blocked",
         "client: TIME-WAIT timeout → CLOSED", [17], 16, 22, 20408),
    ],
    "retransmission": [("lost-syn", "no_retransmit", "eventual_close", 2, 2, "dead_end",
                        "network: lose client→server SYN seq=100", [], 2, 26, 1211)],
}

# English UI words that must not stay in a Chinese page (protocol names, segment fields
# seq=/ack=/data= and the snake_case names of properties and variants are notation).
UI_WORDS = ("written", "receive", "send", "lose", "lost", "duplicate", "dup", "tick", "ticks", "client", "server",
            "network", "step", "steps", "violation", "decisive", "variant", "real protocol", "holds", "violated",
            "incarnation", "bag", "fifo", "remark", "conclusion", "question", "mechanism", "none", "what happens",
            "play it", "in flight", "rexmt", "timer", "timeout", "the", "and")
CJK = "\u3400-\u4dbf\u4e00-\u9fff"
HALF_WIDTH_NEXT_TO_CJK = re.compile(rf"[{CJK}] ?[,.;:!?()]|[,.;:!?()] ?[{CJK}]")
MIN_LADDER_WIDTH_PT = 600  # a ladder is drawn 12 pt labels in at most 800 pt: shown at >= 600 pt, labels >= 12 px


@pytest.fixture(scope="module")
def lessons():
    return {(t, lang): explain(t, lang) for t in TOPICS for lang in ("en", "zh")}


@pytest.fixture(scope="module")
def pages(lessons, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    return {key: write_lesson(out, lesson).index.read_text(encoding="utf-8") for key, lesson in lessons.items()}


@pytest.mark.parametrize("topic", sorted(EXPECTED))
def test_each_part_computed_facts(lessons, topic):
    lesson = lessons[(topic, "en")]
    assert [p.key for p in lesson.parts] == [e[0] for e in EXPECTED[topic]]
    for part, (key, label, prop, n, decisive, how, text, deviations, replayed, n_real, states) in zip(
            lesson.parts, EXPECTED[topic]):
        assert part.variant_model.config.label == label
        assert part.property == prop
        assert (part.variant_status, part.real_status) == ("violated", "holds")
        assert len(part.variant_steps) == n and len(part.real_steps) == n_real
        assert (part.decisive_step, part.decisive_kind) == (decisive, how)
        assert part.variant_steps[decisive - 1] == text
        assert part.deviations == deviations
        assert part.replayed == replayed
        assert part.real_states == states
        # the real run replays the variant's events exactly, up to where it cannot
        assert part.real_trace.actions[:replayed] == part.variant_trace.actions[:replayed]
        assert f"decisive step is step {decisive}, “{text}”" in " ".join(part.variant_text)
    assert lesson.parting_step == lesson.parts[0].decisive_step


def test_close_decisive_step_is_the_variants_fin_ack(lessons):
    part = lessons[("close", "en")].parts[0]
    k = part.decisive_step - 1
    s, a, t = part.variant_trace.states[k], part.variant_trace.actions[k], part.variant_trace.states[k + 1]
    r = part.real_trace.states[k + 1]
    # the server receives the client's FIN; the variant answers FIN+ACK at once (LAST-ACK),
    # the real protocol only ACKs it (CLOSE-WAIT: half-close, the server may still send)
    assert kind(a) == "deliver" and segment_of(a).flags & FIN
    assert s.server == part.real_trace.states[k].server  # the same situation
    assert (t.server.state, r.server.state) == (LAST_ACK, CLOSE_WAIT)
    assert [seg.flags & FIN for seg in sent_segments(s, a, t)] == [FIN]
    assert [seg.flags & FIN for seg in sent_segments(part.real_trace.states[k], a, r)] == [0]


def test_handshake_decisive_step_is_where_the_server_accepts_the_old_syn(lessons):
    part = lessons[("handshake", "en")].parts[0]
    k = part.decisive_step - 1
    s, a, t = part.variant_trace.states[k], part.variant_trace.actions[k], part.variant_trace.states[k + 1]
    # the SYN delivered is the network's duplicate of step 2, not a SYN of a live client
    assert kind(part.variant_trace.actions[1]) == "dup" and segment_of(a).content == segment_of(part.variant_trace.actions[1]).content
    assert (s.server.state, t.server.state) == (LISTEN, ESTABLISHED)
    assert part.real_trace.states[k + 1].server.state == SYN_RECEIVED
    assert not CATALOGUE["no_bogus_open"]().predicate(s, a, t)  # the ghost condition fires here


def test_time_wait_decisive_steps(lessons):
    lost_ack, old_dup = lessons[("time-wait", "en")].parts
    k = lost_ack.decisive_step - 1
    assert (lost_ack.variant_trace.states[k + 1].client.state, lost_ack.real_trace.states[k + 1].client.state) == (
        CLOSED, TIME_WAIT)
    k = old_dup.decisive_step - 1
    assert old_dup.variant_trace.actions[k] == timeout(CLIENT, "time-wait")
    # the real client is in TIME-WAIT too, its 2*MSL timer still running: it cannot time out
    real_client = old_dup.real_trace.states[k].client
    assert real_client.state == TIME_WAIT and real_client.tw > 0
    assert old_dup.blocked == old_dup.decisive_step


def test_replaying_a_run_through_its_own_model_deviates_nowhere(lessons):
    part = lessons[("close", "en")].parts[0]
    states, actions, deviations, blocked = _replay(part.real_model, part.real_trace)
    assert (deviations, blocked) == ([], None) and tuple(actions) == part.real_trace.actions


def test_real_run_remarks(lessons):
    remarks = {(t, p.key): [(r.kind, r.step) for r in p.remarks] for t in TOPICS for p in lessons[(t, "en")].parts}
    # the handshake's real run: after the old SYN the client in TIME-WAIT is reset (no clean
    # continuation exists without faults): said on the page
    assert remarks == {("handshake", "old-syn"): [("assassination", 16)], ("close", "half-close"): [],
                       ("time-wait", "lost-ack"): [], ("time-wait", "old-duplicates"): [],
                       ("retransmission", "lost-syn"): []}
    part = lessons[("handshake", "en")].parts[0]
    s, a, t = part.real_trace.states[15], part.real_trace.actions[15], part.real_trace.states[16]
    assert _step_faults(s, a, t) == [("assassination", 0)]
    text = " ".join(part.real_text)
    assert "Remark: at step 16, “client: receive RST seq=302 → CLOSED”, a RST ends the client's TIME-WAIT early" in text
    assert "No faultless continuation of the replayed events avoids this" in text
    assert [(t, p.unavoidable) for t in TOPICS for p in lessons[(t, "en")].parts if p.unavoidable] == [
        ("handshake", True)]
    zh = " ".join(lessons[("handshake", "zh")].parts[0].real_text)
    assert "TIME-WAIT 暗杀" in zh and "第 16 步" in zh
    for t in ("close", "retransmission"):
        assert "Nothing else happens in the real run" in " ".join(lessons[(t, "en")].parts[0].real_text)


def test_time_wait_page_has_both_reasons(lessons, pages):
    lost_ack, old_dup = lessons[("time-wait", "en")].parts
    assert lost_ack.real_model.config == load(catalogue_dir() / "rfc1337_lost_ack.toml").config
    assert lost_ack.variant_model.config == load(catalogue_dir() / "no_time_wait.toml").config
    assert (old_dup.variant_model.config.time_wait_ticks, old_dup.real_model.config.time_wait_ticks) == (1, 4)
    assert "TIME-WAIT: none in the variant, 4 ticks in the real protocol." in lost_ack.settings
    assert "TIME-WAIT: 1 tick in the variant, 4 ticks in the real protocol." in old_dup.settings
    assert ("the last segment of the first connection leaves the network at step 18; the client's TIME-WAIT "
            "ends at step 22") in " ".join(old_dup.real_text)
    page = pages[("time-wait", "en")]
    a, b = page.index("Reason 1: the last ACK may be lost"), page.index("Reason 2: old duplicates must die out")
    assert a < b
    zh = pages[("time-wait", "zh")]
    assert zh.index("原因一：最后一个 ACK 可能丢失") < zh.index("原因二：")


def test_parameters_come_from_the_spec(tmp_path):
    specs = tmp_path / "specs"
    shutil.copytree(catalogue_dir(), specs)
    spec = specs / "three_step_close.toml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("rto = 2 ", "rto = 3 "), encoding="utf-8")
    lesson = explain("close", "en", specs_dir=specs)
    assert "RTO = 3 ticks" in lesson.parts[0].settings
    assert "RTO = 2 ticks" in explain("close", "en").parts[0].settings


def _visible_text(page):
    # what a reader sees: no style sheet, no SVG tooltips or comments (Graphviz's node ids)
    page = re.sub(r"<style>.*?</style>|<title>.*?</title>|<!--.*?-->", "", page, flags=re.S)
    return htmllib.unescape(re.sub(r"<[^>]+>", "\n", page))


def _zh_problems(text):
    bare = re.sub(r"\b(seq|ack|data|time_wait)=\d+|\b\w+_\w+\b", "", text)  # notation and snake_case names
    # lower case or capitalized: upper case is the RFC's notation (SEND, CLOSE, SYN)
    found = [f"UI word {w!r}" for w in UI_WORDS
             if any(re.search(rf"(?<![A-Za-z]){v}(?![A-Za-z])", bare) for v in (w, w.capitalize()))]
    found += [f"half-width {m.group()!r}" for m in HALF_WIDTH_NEXT_TO_CJK.finditer(text)]
    found += [f"term {t!r}" for t in ("复制", "这一代", "化身", "bag 网络", "fifo 网络") if t in text]
    return found


def test_problem_finder_catches_what_the_teacher_found():
    assert _zh_problems("结论：变体 被违反 (bag 网络)") == ["UI word 'bag'", "half-width '反 ('", "half-width '络)'",
                                                           "term 'bag 网络'"]
    assert _zh_problems("written: out/explain") == ["UI word 'written'"]
    assert _zh_problems("服务器：收到 SYN,ACK seq=300 ack=101，发送 ACK seq=101 ack=301 data=1") == []


@pytest.mark.parametrize("topic", sorted(EXPECTED))
def test_zh_pages_read_as_chinese(pages, topic):
    page = pages[(topic, "zh")]
    for line in _visible_text(page).splitlines():
        assert _zh_problems(line) == [], line
    assert "连接实例" in page or topic != "time-wait"
    assert "报文段" in page
    assert {"handshake": "三次握手", "close": "四次挥手"}.get(topic, "") in page
    assert ("保序网络" in page) != ("可乱序网络" in page) or topic == "time-wait"


def test_zh_lesson_texts_read_as_chinese(lessons):
    for topic in TOPICS:
        lesson = lessons[(topic, "zh")]
        for text in lesson.paragraphs:
            assert _zh_problems(text) == [], text
    assert "结论：变体 被违反" not in " ".join(lessons[("close", "zh")].paragraphs)


@pytest.mark.parametrize("topic", sorted(EXPECTED))
def test_ladders_at_readable_size_with_the_decisive_step_marked(lessons, pages, topic):
    page = pages[(topic, "en")]
    boxes = re.findall(r'<div class="ladder">(<svg.*?</svg>)\s*</div>', page, flags=re.S)
    assert len(boxes) == 2 * len(lessons[(topic, "en")].parts)
    for svg in boxes:
        width, height = ladder_size(svg)
        assert width >= MIN_LADDER_WIDTH_PT and height > 0
        assert 'transform="scale(1 1)' in svg
        assert set(re.findall(r'font-size="([\d.]+)"', svg)) <= {"12.00", "14.00", "18.00"}
    # the page never shrinks a ladder to the column: natural size, a scroll bar when wider
    assert ".ladder svg { display: block; max-width: none; }" in page
    assert "max-width: 100%" not in page
    for part in lessons[(topic, "en")].parts:
        d = part.decisive_step
        assert f"<tr class='decisive'><td>{d}</td>" in page
        src = ladder(part.variant_trace, "", "violation", "en", msl=part.msl, decisive=d).source
        assert "decisive_band" in src and f'label="{d}\\ndecisive\\nstep' in src


def test_extra_sections_follow_the_reasons(lessons, tmp_path):
    lesson = lessons[("time-wait", "en")]
    fragment = "<table id='frontier'><tr><td>TIME-WAIT</td></tr></table>"
    page = write_lesson(tmp_path, lesson, extra_sections=[("Where 2MSL comes from", fragment)]).index.read_text(
        encoding="utf-8")
    assert page.index("Reason 2:") < page.index("<h2>Where 2MSL comes from</h2>") < page.index(fragment)
    assert page.rstrip().endswith("</body></html>")
    for stem in ("time-wait-lost-ack-variant", "time-wait-lost-ack-real", "time-wait-old-duplicates-variant",
                 "time-wait-old-duplicates-real"):
        assert (tmp_path / "explain" / f"{stem}.dot").exists()


def test_real_ladder_marks_the_remarked_step(lessons):
    part = lessons[("handshake", "en")].parts[0]
    src = ladder(part.real_trace, "", "none", "en", msl=part.msl, decisive=part.decisive_step,
                 remarks=[r.step for r in part.remarks]).source
    assert "remark_band16" in src and 'label="16\\nremark"' in src


def test_real_step_table_marks_the_remarked_step(pages):
    assert "<tr class='remark'><td>16</td><td>client: receive RST seq=302 → CLOSED <b>← remark</b>" in pages[
        ("handshake", "en")]
    assert "<tr class='remark'><td>16</td>" in pages[("handshake", "zh")] and "← 注意" in pages[("handshake", "zh")]


def test_ladders_speak_the_page_language(pages):
    zh = pages[("close", "zh")]
    assert "客户端" in zh and "关键的一步" in zh and "2MSL = 4 个时间单位" in zh


def test_a_real_protocol_that_fails_too_is_said_to_fail():
    # plain RFC 9293 under no_time_wait.toml's settings loses TIME-WAIT to assassination
    # (rfc9293_lost_ack.toml): no contrast, and the page must not claim one
    from tcpmodel.explain import Contrast, _part

    part = _part("time-wait", Contrast("lost-ack", "no_time_wait.toml", "graceful_end", (("variant", "rfc9293"),)),
                 "en", catalogue_dir())
    assert (part.variant_status, part.real_status) == ("violated", "violated")
    assert part.real_text[0].startswith("The real protocol (RFC 9293) under the same events: graceful_end is violated too.")
    assert part.conclusion == "Conclusion: the variant breaks graceful_end; under these settings the real protocol's verdict is “violated”."


# ---------------------------------------------------------------- steps, languages, CLI
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


def test_cli_explain_time_wait_ends_with_the_frontier(tmp_path):
    """`tcpmodel explain time-wait` computes the TIME-WAIT frontier from the built-in specs'
    declared sweeps and puts it after both reasons; its numbers are the frontier's."""
    out = subprocess.run([sys.executable, "-m", "tcpmodel", "explain", "time-wait", "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    page = (tmp_path / "explain" / "time-wait.en.html").read_text(encoding="utf-8")
    section = "<section class='tw-frontier-section'"
    assert page.count(section) == 1 and page.index(section) > page.rindex('class="conclusion"')
    assert "ACK delay + RTO + FIN delay" in page
