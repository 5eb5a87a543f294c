"""The page of a lesson (``tcpmodel explain``), one per question and language, to project in
class: the question, the mechanism, then for each part the broken variant's shortest
counterexample and the real protocol under the same events -- each as a ladder at its natural
size, one per row, the decisive step marked in the ladder and in the step table -- and a
one-line conclusion. Extra sections (the 2MSL frontier) follow the parts. Written to
``<out>/explain/``."""

from __future__ import annotations

import html
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Sequence, Tuple

from .common import explorer_address
from .dotrun import inline_svg, render_all
from .ladder import ladder
from .outputs import Written

_HEAD = {
    "en": {"question": "The question", "mechanism": "The mechanism", "variant": "Broken variant: {name}",
           "real": "The real protocol under the same events: {name}", "steps": "Steps", "step": "step",
           "what": "what happens", "decisive": "decisive step", "remark": "remark", "verdict": "{prop}: {status}",
           "explore": "play it step by step in the explorer",
           "explore_note": "(with <code>tcpmodel explore</code> running)"},
    "zh": {"question": "问题", "mechanism": "原理", "variant": "有缺陷的变体：{name}",
           "real": "同样的事件下的真实协议：{name}", "steps": "步骤", "step": "步",
           "what": "发生了什么", "decisive": "关键的一步", "remark": "注意", "verdict": "{prop}：{status}",
           "explore": "在交互式浏览器中逐步演示",
           "explore_note": "（需先运行 <code>tcpmodel explore</code>）"},
}
_STATUS = {"en": {"holds": "holds", "violated": "violated", "unknown": "unknown"},
           "zh": {"holds": "成立", "violated": "被违反", "unknown": "未知"}}

_STYLE = """
body { font-family: Helvetica, Arial, "Noto Sans CJK SC", "Noto Sans SC", sans-serif; margin: 1.5em;
       font-size: 18px; line-height: 1.5; max-width: 1350px; }
p.question { font-size: 130%; font-weight: bold; }
.ladder { overflow-x: auto; margin: 0.5em 0 1em 0; border: 1px solid #eee; }
.ladder svg { display: block; max-width: none; }  /* natural size: 12 pt labels, 16 px; never scaled down */
table { border-collapse: collapse; font-size: 90%; margin-bottom: 1em; }
td, th { border: 1px solid #ccc; padding: 2px 6px; vertical-align: top; }
tr.decisive { background: #fde2c8; font-weight: bold; }
tr.remark { background: #f9d6d2; }
.verdict { font-weight: bold; }
p.conclusion { font-size: 120%; font-weight: bold; border-left: 6px solid #d35400; padding-left: 0.5em; }
section.part { border-top: 2px solid #999; margin-top: 1.5em; }
"""


def _steps_table(steps, decisive, words, remarks=()) -> str:
    rows = []
    for i, text in enumerate(steps, 1):
        tag = "decisive" if i == decisive else "remark" if i in remarks else ""
        cls = f" class='{tag}'" if tag else ""
        mark = f" <b>← {html.escape(words[tag])}</b>" if tag else ""
        rows.append(f"<tr{cls}><td>{i}</td><td>{html.escape(text)}{mark}</td></tr>")
    return (f"<table><tr><th>{words['step']}</th><th>{words['what']}</th></tr>"
            + "".join(rows) + "</table>")


def ladder_size(svg: str) -> Tuple[float, float]:
    """The (width, height) in pt that a ladder's SVG declares."""
    m = re.search(r'<svg[^>]*\bwidth="([\d.]+)pt"[^>]*\bheight="([\d.]+)pt"', svg)
    return (float(m.group(1)), float(m.group(2))) if m else (0.0, 0.0)


def _paragraphs(texts) -> str:
    return "".join(f"<p>{html.escape(t)}</p>" for t in texts)


def write_lesson(out_dir, lesson, extra_sections: Sequence[Tuple[str, str]] = ()) -> Written:
    """Write each part's ladders (``<stem>-variant.{dot,svg,png}``, ``<stem>-real...``, the
    stem being the topic, or topic and part for a page of several parts) and
    ``<topic>.<lang>.html`` under ``<out_dir>/explain/``; replaced only when complete.

    ``extra_sections`` are ``(heading, html)`` pairs placed after the parts, before the end
    of the page (the time-wait page's 2MSL frontier); the HTML is inserted as given."""
    root = Path(out_dir) / "explain"
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=root))
    try:
        w = _HEAD[lesson.lang]
        status = _STATUS[lesson.lang]
        jobs, titles = [], []
        for part in lesson.parts:
            stem = lesson.topic if len(lesson.parts) == 1 else f"{lesson.topic}-{part.key}"
            v_title = w["variant"].format(name=part.variant_name)
            r_title = w["real"].format(name=part.real_name)
            titles.append((v_title, r_title))
            jobs.append((ladder(part.variant_trace, v_title, "violation", lesson.lang, msl=part.msl,
                                decisive=part.decisive_step).source, staging / f"{stem}-variant"))
            jobs.append((ladder(part.real_trace, r_title, "none", lesson.lang, msl=part.msl,
                                decisive=part.decisive_step if part.decisive_step <= part.replayed else None,
                                remarks=[r.step for r in part.remarks if r.step]).source,
                         staging / f"{stem}-real"))
        svgs, notes = render_all(jobs)
        sections = []
        for k, part in enumerate(lesson.parts):
            v_title, r_title = titles[k]
            v_svg = inline_svg(svgs.get(str(jobs[2 * k][1])))
            r_svg = inline_svg(svgs.get(str(jobs[2 * k + 1][1])))
            explore = ""
            if part.spec:
                href = html.escape(explorer_address(part.spec, part.property, part.decisive_step, lesson.lang))
                explore = f"<p><a class='explore' href='{href}'>{w['explore']}</a> <small>{w['explore_note']}</small></p>"
            heading = f"<h2>{html.escape(part.heading)}</h2>" if part.heading else ""
            v_verdict = html.escape(w["verdict"].format(prop=part.property, status=status[part.variant_status]))
            r_verdict = html.escape(w["verdict"].format(prop=part.property, status=status[part.real_status]))
            sections.append(f"""<section class="part" id="{html.escape(part.key)}">
{heading}
<p>{html.escape(part.settings)}</p>
<h3>{html.escape(v_title)}</h3>
<p class="verdict">{v_verdict}</p>
{_paragraphs(part.variant_text)}
<div class="ladder">{v_svg}</div>
{explore}
<h4>{w['steps']}</h4>{_steps_table(part.variant_steps, part.decisive_step, w)}
<h3>{html.escape(r_title)}</h3>
<p class="verdict">{r_verdict}</p>
{_paragraphs(part.real_text)}
<div class="ladder">{r_svg}</div>
<h4>{w['steps']}</h4>{_steps_table(part.real_steps, part.decisive_step if part.decisive_step <= part.replayed else None, w,
              [r.step for r in part.remarks])}
<p class="conclusion">{html.escape(part.conclusion)}</p>
</section>""")
        for heading, fragment in extra_sections:
            sections.append(f'<section class="extra">\n<h2>{html.escape(heading)}</h2>\n{fragment}\n</section>')
        body = "\n".join(sections)
        page = f"""<!doctype html>
<html lang="{lesson.lang}"><head><meta charset="utf-8"><title>{html.escape(lesson.title)}</title>
<style>{_STYLE}</style></head><body>
<h1>{html.escape(lesson.title)}</h1>
<h2>{w['question']}</h2>
<p class="question">{html.escape(lesson.question)}</p>
<h2>{w['mechanism']}</h2>
<p class="mechanism">{html.escape(lesson.concept)}</p>
{body}
</body></html>
"""
        page_name = f"{lesson.topic}.{lesson.lang}.html"
        (staging / page_name).write_text(page, encoding="utf-8")
        for f in sorted(staging.iterdir()):
            os.replace(f, root / f.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Written(root, root / page_name, notes)
