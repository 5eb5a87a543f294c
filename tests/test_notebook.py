"""Inline display in Jupyter, through IPython's own display formatter."""

from pathlib import Path

import pytest
from IPython.core.formatters import DisplayFormatter

from tcpmodel import load, run_spec
from tcpmodel.errors import TcpModelError
from tcpmodel.render.notebook import endpoint_view, ladder_view, path_view

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def run():
    return run_spec(load(ROOT / "specs" / "three_step_close.toml"), keep_graph=True)


def shown(obj):
    data, _ = DisplayFormatter().format(obj)
    return data


def test_a_run_shows_its_verdict_table(run):
    data = shown(run)
    html = data["text/html"]
    assert "<b>three_step_close</b> — variant three_step_close" in html
    assert "<tr><td>close_delivers_all</td><td>violated</td><td>violated</td><td>ok</td></tr>" in html
    assert "<tr><td><i>states</i></td><td>127</td><td>127</td><td>ok</td></tr>" in html
    assert "127 distinct states, 226 transitions, depth 19, complete" in html


def test_a_trace_shows_its_steps(run):
    view = run.trace("close_delivers_all")
    html = shown(view)["text/html"]
    assert "<b>close_delivers_all: counterexample, 12 steps</b>" in html
    assert "<tr><td>9</td><td>server: SEND</td></tr>" in html
    assert str(view).splitlines()[0] == "close_delivers_all: counterexample, 12 steps"


def test_diagrams_show_as_svg(run):
    for view in (ladder_view(run, "close_delivers_all"), path_view(run, "close_delivers_all"), endpoint_view(run, "server")):
        svg = shown(view)["image/svg+xml"]
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "LAST&#45;ACK" in shown(endpoint_view(run, "server"))["image/svg+xml"]  # dot escapes "-"


def test_asking_for_what_is_not_there_is_one_clear_error(run):
    with pytest.raises(TcpModelError, match=r"'graceful_end' was not checked; checked: close_delivers_all"):
        run.trace("graceful_end")
    with pytest.raises(TcpModelError, match=r"unknown endpoint 'both'; allowed: client, server"):
        endpoint_view(run, "both")
    without_graph = run_spec(load(ROOT / "specs" / "three_step_close.toml"))
    with pytest.raises(TcpModelError, match=r"keep_graph=True"):
        endpoint_view(without_graph, "client")


def test_a_lesson_shows_its_text_and_steps():
    from tcpmodel.explain import explain

    lesson = explain("close")
    html = shown(lesson)["text/html"]
    assert html.startswith("<div class='tcpmodel-lesson'><h3>Why four segments to close a connection</h3>")
    assert "<p><i>variant</i></p>" in html and "<p><i>real protocol (RFC 9293)</i></p>" in html
    assert f"<tr><td>{lesson.parting_step}</td><td><b>" in html
