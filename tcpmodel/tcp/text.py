"""Words for steps of the TCP model, in English and Chinese.

Protocol names (SYN, ACK, FIN, RST, TIME-WAIT, MSL, state names, SEQ/ACK numbers) stay as
they are in every language; only the surrounding words change.
"""

from __future__ import annotations

import unicodedata

# actor and sent_segments are re-exported: text users read them here
from .actions import actor, direction_of, iss_of, kind, segment_of, sent_segments, timer_of  # noqa: F401
from .tcb import DIRECTION_NAMES, STATE_NAMES, format_segment

LANGS = ("en", "zh")

# Each language's words and sentence frames. The Chinese is written as Chinese: full-width
# punctuation inside sentences (，：；（）), 报文段 for segment, 重复投递 for the network's
# duplicate, 时间单位 for a tick; protocol names and numbers stay as they are.
_WORDS = {
    "en": {
        "client": "client", "server": "server", "network": "network",
        "client→server": "client→server", "server→client": "server→client",
        "receive": "receive", "send": "send",
        "lose": "{network}{colon}lose {direction} {segment}",
        "duplicate": "{network}{colon}duplicate {direction} {segment}",
        "tick": "tick", "retransmission timeout": "retransmission timeout",
        "time-wait timeout": "TIME-WAIT timeout",
        "OPEN active": "OPEN (active), ISS={iss}", "OPEN passive": "OPEN (passive)",
        "SEND": "SEND", "CLOSE": "CLOSE", "ABORT": "ABORT",
        "no change": "(no change)", "sep": ", ", "colon": ": ", "seg_sep": "; ",
        "variant": "variant", "real protocol": "real protocol (RFC 9293)", "written": "written",
    },
    "zh": {
        "client": "客户端", "server": "服务器", "network": "网络",
        "client→server": "客户端→服务器", "server→client": "服务器→客户端",
        "receive": "收到", "send": "发送",
        "lose": "{network}{colon}丢失{direction}的报文段 {segment}",
        "duplicate": "{network}{colon}重复投递{direction}的报文段 {segment}",
        "tick": "时间推进一个单位", "retransmission timeout": "重传超时",
        "time-wait timeout": "TIME-WAIT 超时",
        "OPEN active": "主动打开（OPEN），ISS={iss}", "OPEN passive": "被动打开（OPEN）",
        "SEND": "应用写入数据（SEND）", "CLOSE": "应用关闭连接（CLOSE）", "ABORT": "应用中止连接（ABORT）",
        "no change": "状态不变", "sep": "，", "colon": "：", "seg_sep": "；",
        "variant": "变体", "real protocol": "真实协议（RFC 9293）", "written": "已写入",
    },
}


def words(lang: str) -> dict:
    if lang not in _WORDS:
        raise ValueError(f"unknown language {lang!r}; allowed: {', '.join(LANGS)}")
    return _WORDS[lang]


def format_action(action, lang: str = "en") -> str:
    """One action as text: ``server: receive SYN seq=100``, ``network: lose ...``, ``tick``."""
    w = words(lang)
    what = kind(action)
    if what in ("lose", "dup"):
        frame = w["lose"] if what == "lose" else w["duplicate"]
        return frame.format(network=w["network"], colon=w["colon"], direction=w[DIRECTION_NAMES[direction_of(action)]],
                            segment=format_segment(segment_of(action)))
    if what == "tick":
        return w["tick"]
    who = (w["client"], w["server"])[actor(action)] + w["colon"]  # the receiver, for a delivery
    if what == "deliver":
        return f"{who}{w['receive']} {format_segment(segment_of(action))}"
    if what == "timeout":
        return who + (w["retransmission timeout"] if timer_of(action) == "retransmission" else w["time-wait timeout"])
    if what == "OPEN":
        return who + w["OPEN active"].format(iss=iss_of(action))
    if what == "LISTEN":
        return who + w["OPEN passive"]
    return who + w[what]


def describe(state, action, next_state, lang: str = "en") -> str:
    """One readable line for a step: what happened, the state change, what was sent."""
    w = words(lang)
    parts = [format_action(action, lang)]
    side = actor(action)
    if side is not None:
        before, after = state.tcb(side).state, next_state.tcb(side).state
        if before != after:
            parts[0] += f" → {STATE_NAMES[after]}"
        sent = sent_segments(state, action, next_state)
        if sent:
            parts.append(f"{w['send']} " + w["seg_sep"].join(format_segment(s) for s in sent))
        elif kind(action) == "deliver" and next_state.tcb(side) == state.tcb(side):
            parts.append(w["no change"])
    return w["sep"].join(parts)


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal: East Asian wide and full-width characters take
    two (Unicode East Asian Width W/F), combining marks none, the rest one. For underlines."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width
