"""The page of a lesson (``tcpmodel explain``): both ladders side by side, the lesson text
and both runs' steps, in the lesson's language. Written to ``<out>/explain/``."""

from __future__ import annotations

import html
import os
import shutil
import tempfile
from pathlib import Path

from .common import explorer_address
from .dotrun import inline_svg, render_all
from .ladder import ladder
from .outputs import Written

_HEAD = {
    "en": {"variant": "Broken variant: {name}", "real": "Real protocol: {name}", "lesson": "The lesson",
           "steps": "Steps", "step": "step", "what": "what happens", "part": "where they part",
           "verdict": "{prop}: {status}", "explore": "play it step by step in the explorer",
           "explore_note": "(with <code>tcpmodel explore</code> running)"},
    "zh": {"variant": "有缺陷的变体：{name}", "real": "真实协议：{name}", "lesson": "讲解",
           "steps": "步骤", "step": "步", "what": "发生了什么", "part": "两者分歧之处",
           "verdict": "{prop}：{status}", "explore": "在交互式浏览器中逐步演示",
           "explore_note": "（需先运行 <code>tcpmodel explore</code>）"},
}


def _steps_table(steps, parting, words) -> str:
    rows = []
    for i, text in enumerate(steps, 1):
        cls = " class='part'" if i == parting else ""
        mark = f" <b>← {html.escape(words['part'])}</b>" if i == parting else ""
        rows.append(f"<tr{cls}><td>{i}</td><td>{html.escape(text)}{mark}</td></tr>")
    return (f"<table><tr><th>{words['step']}</th><th>{words['what']}</th></tr>"
            + "".join(rows) + "</table>")


def write_lesson(out_dir, lesson) -> Written:
    """Write ``<topic>-variant.{dot,svg,png}``, ``<topic>-real.{dot,svg,png}`` and
    ``<topic>.<lang>.html`` under ``<out_dir>/explain/``; replaced only when complete."""
    root = Path(out_dir) / "explain"
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=root))
    try:
        w = _HEAD[lesson.lang]
        v_title = w["variant"].format(name=lesson.variant_name or lesson.variant_model.config.label)
        r_title = w["real"].format(name=lesson.real_name or "RFC 9293")
        jobs = [
            (ladder(lesson.variant_trace, v_title, "violation").source, staging / f"{lesson.topic}-variant"),
            (ladder(lesson.real_trace, r_title, "none").source, staging / f"{lesson.topic}-real"),
        ]
        svgs, notes = render_all(jobs)
        v_svg = inline_svg(svgs.get(str(jobs[0][1])))
        r_svg = inline_svg(svgs.get(str(jobs[1][1])))
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in lesson.paragraphs)
        explore = ""
        if lesson.spec:
            href = html.escape(explorer_address(lesson.spec, lesson.property, lesson.parting_step, lesson.lang))
            explore = f"<p><a class='explore' href='{href}'>{w['explore']}</a> <small>{w['explore_note']}</small></p>"
        page = f"""<!doctype html>
<html lang="{lesson.lang}"><head><meta charset="utf-8"><title>{html.escape(lesson.title)}</title>
<style>
body {{ font-family: Helvetica, Arial, "Noto Sans CJK SC", sans-serif; margin: 1.5em; }}
.cols {{ display: flex; gap: 2em; align-items: flex-start; }}
.col {{ flex: 1; min-width: 0; }}
.col svg {{ max-width: 100%; height: auto; }}
table {{ border-collapse: collapse; font-size: 90%; }} td, th {{ border: 1px solid #ccc; padding: 2px 6px; vertical-align: top; }}
tr.part {{ background: #fde2c8; }}
.verdict {{ font-weight: bold; }}
</style></head><body>
<h1>{html.escape(lesson.title)}</h1>
<h2>{w['lesson']}</h2>
{paragraphs}
<div class="cols">
<div class="col"><h2>{html.escape(v_title)}</h2>
<p class="verdict">{html.escape(w['verdict'].format(prop=lesson.property, status=lesson.variant_status))}</p>
{v_svg}
{explore}
<h3>{w['steps']}</h3>{_steps_table(lesson.variant_steps, lesson.parting_step, w)}</div>
<div class="col"><h2>{html.escape(r_title)}</h2>
<p class="verdict">{html.escape(w['verdict'].format(prop=lesson.property, status=lesson.real_status))}</p>
{r_svg}
<h3>{w['steps']}</h3>{_steps_table(lesson.real_steps, lesson.parting_step, w)}</div>
</div>
</body></html>
"""
        page_name = f"{lesson.topic}.{lesson.lang}.html"
        (staging / page_name).write_text(page, encoding="utf-8")
        for f in sorted(staging.iterdir()):
            os.replace(f, root / f.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Written(root, root / page_name, notes)
