"""The explorer without a browser: runs as addresses, the page's data, the checker's traces
as runs, the static export, and the server's routes (started on port 0 in a thread, asked
with urllib), plus `tcpmodel explore` through the real entry point."""

import json
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from needs import DOT_MISSING, IN_CI

from tcpmodel.explorer import (
    Catalogue, ExplorerError, ExplorerServer, explorer_link, format_run, parse_run, write_static,
)
from tcpmodel.explorer.static import reachable_graph
from tcpmodel.run import run_spec

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"

# graceful_end in rfc9293 (TIME-WAIT assassination), as indices into the successor lists.
GRACEFUL_END_RUN = [0, 0, 0, 0, 0, 1, 1, 0, 0, 3, 4, 2, 3, 3, 4]


@pytest.fixture(scope="module")
def catalogue():
    return Catalogue(SPECS)


@pytest.fixture(scope="module")
def rfc9293(catalogue):
    return catalogue.session("rfc9293")


# ------------------------------------------------------------------ addresses
def test_runs_as_text():
    assert parse_run("0.3.1.2") == [0, 3, 1, 2]
    assert parse_run("") == [] and parse_run(None) == []
    assert format_run([0, 3, 1, 2]) == "0.3.1.2"
    for bad in ("0..1", "a", "1.-2", "1,2", "0.1234567"):
        with pytest.raises(ExplorerError, match="action indices"):
            parse_run(bad)
    with pytest.raises(ExplorerError, match="at most 500 steps"):
        parse_run(".".join(["0"] * 501))


def test_links_for_report_and_lesson_pages():
    assert explorer_link("rfc9293", run=[0, 3, 1, 2]) == "/?spec=rfc9293&run=0.3.1.2"
    assert explorer_link("rfc9293", trace="graceful_end", step=7) == "/?spec=rfc9293&trace=graceful_end&step=7"
    assert explorer_link("rfc9293", trace="graceful_end", lang="zh", base="http://127.0.0.1:8000/") == \
        "http://127.0.0.1:8000/?spec=rfc9293&trace=graceful_end&lang=zh"


# ------------------------------------------------------------------ the page's data
def test_initial_view(rfc9293):
    v = rfc9293.view([])
    assert v["run"] == [] and v["edges"] == []
    node = v["nodes"][0]
    assert node["state"]["client"]["state"] == "CLOSED" and node["state"]["server"]["state"] == "LISTEN"
    assert node["violated"] == [] and node["terminal"] is True
    assert [(e["index"], e["group"], e["label"]["en"]) for e in v["enabled"]] == [
        (0, "user", "client: OPEN (active), ISS=100")]
    assert v["enabled"][0]["label"]["zh"] == "客户端：主动打开（OPEN），ISS=100"
    assert [s["text"] for s in v["enabled"][0]["sent"]] == ["SYN seq=100"]
    assert v["enabled"][0]["sent"][0]["direction"] == "client→server"


def test_actions_are_grouped_with_budgets(catalogue):
    s = catalogue.session("rfc9293", loss=1, dup=1)
    v = s.view([0])  # client OPEN: the SYN is in flight
    groups = [(e["group"], e["label"]["en"]) for e in v["enabled"]]
    assert groups == [
        ("deliver", "server: receive SYN seq=100"),
        ("tick", "tick"),
        ("fault", "network: lose client→server SYN seq=100"),
        ("fault", "network: duplicate client→server SYN seq=100"),
    ]
    last = v["nodes"][-1]["state"]
    assert (last["loss_budget_left"], last["dup_budget_left"]) == (1, 1)
    assert s.info()["parameters"]["loss"] == 1 and catalogue.session("rfc9293").info()["parameters"]["loss"] == 0


def test_a_bad_index_names_the_step(rfc9293):
    with pytest.raises(ExplorerError, match=r"step 2 chooses action 9; allowed: 0\.\.1"):
        rfc9293.replay([0, 9])


def test_counterexample_maps_to_a_run_and_replays_to_the_same_states(rfc9293):
    traces = {t["name"]: t for t in rfc9293.traces()}
    assert list(traces) == ["graceful_end", "three_way_handshake", "four_step_close", "time_wait_completed",
                            "ack_answers_ack"]
    ge = traces["graceful_end"]
    assert (ge["what"], ge["status"], ge["steps"]) == ("counterexample", "violated", 15)
    assert ge["run"] == GRACEFUL_END_RUN
    checked = run_spec(rfc9293.spec).result["graceful_end"].trace
    states, actions = rfc9293.replay(ge["run"])
    assert tuple(states) == checked.states and tuple(actions) == checked.actions
    v = rfc9293.view(ge["run"])
    assert [e["violated"] for e in v["edges"]] == [[]] * 14 + [["graceful_end"]]
    assert v["edges"][-1]["text"]["en"] == "client: receive RST seq=303 → CLOSED"
    assert ge["texts"][-1] == {"en": "client: receive RST seq=303 → CLOSED", "zh": "客户端：收到 RST seq=303 → CLOSED"}
    assert len(ge["texts"]) == 15
    assert traces["three_way_handshake"]["what"] == "witness"
    assert rfc9293.view(traces["three_way_handshake"]["run"])["edges"][-1]["reached"] == ["three_way_handshake"]


def test_state_invariants_are_evaluated_on_each_state(catalogue):
    s = catalogue.session("three_step_close")
    t = {x["name"]: x for x in s.traces()}["close_delivers_all"]
    v = s.view(t["run"])
    assert [n["violated"] for n in v["nodes"]] == [[]] * 12 + [["close_delivers_all"]]


def test_the_run_json(rfc9293):
    doc = rfc9293.run_json(GRACEFUL_END_RUN)
    assert doc["spec"] == "rfc9293" and doc["run"] == "0.0.0.0.0.1.1.0.0.3.4.2.3.3.4"
    assert doc["parameters"]["msl"] == 2 and doc["trace"]["loop_start"] is None and not doc["trace"]["dead_end"]
    assert (doc["parameters"]["max_delay"], doc["parameters"]["time_wait"]) == (1, 4)
    checked = run_spec(rfc9293.spec).result["graceful_end"].trace
    model = rfc9293.model
    assert [(s["index"], s["action"], s["description"]) for s in doc["trace"]["steps"]] == [
        (i + 1, model.format_action(a), model.describe(s, a, t)) for i, s, a, t in checked.steps()]
    assert [s["state"]["client"]["state"] for s in doc["trace"]["steps"]][-3:] == ["TIME-WAIT", "TIME-WAIT", "CLOSED"]


def test_the_run_in_itf_is_the_checkers_trace_in_itf(rfc9293):
    """The explorer's ITF export of a run that follows a counterexample holds the very states
    the checker's ITF export of that counterexample holds (the same encoder, tested against
    ADR-015 in test_formats.py)."""
    from tcpmodel.formats.itf import trace_to_itf

    doc = rfc9293.run_itf(GRACEFUL_END_RUN)
    assert doc["#meta"]["run"] == "0.0.0.0.0.1.1.0.0.3.4.2.3.3.4" and doc["#meta"]["trace_kind"] == "run"
    checked = trace_to_itf(run_spec(rfc9293.spec), "graceful_end")
    assert doc["vars"] == checked["vars"] and doc["states"] == checked["states"] and "loop" not in doc


def test_unknown_spec_and_trace(catalogue, rfc9293):
    with pytest.raises(ExplorerError, match="no spec named 'nope'") as exc:
        catalogue.spec("nope")
    assert exc.value.status == 404
    with pytest.raises(ExplorerError, match="no counterexample or witness named 'x'; it has: graceful_end"):
        rfc9293.trace_run("x")


# ------------------------------------------------------------------ static export
def test_static_graph_has_every_state_and_transition(catalogue):
    session = catalogue.session("no_time_wait")
    g = reachable_graph(session)
    stats = run_spec(session.spec).result.stats
    assert len(g["nodes"]) == stats.states == 1_177
    assert session.info()["parameters"]["time_wait"] is None  # no TIME-WAIT, so no length
    assert sum(len(s) // 2 for s in g["succ"]) == stats.transitions == 2_495
    # the same successor order as the server: the counterexample ends in the same state
    run = session.trace_run("graceful_end")
    cur = 0
    for i in run:
        cur = g["succ"][cur][2 * i + 1]
    last = {k: g["tables"][k][idx] for k, idx in zip(g["keys"], g["nodes"][cur][0])}
    view = session.view(run)
    assert last == view["nodes"][-1]["state"]
    prev = 0
    for i in run[:-1]:
        prev = g["succ"][prev][2 * i + 1]
    last_edge = g["edges"][g["succ"][prev][2 * run[-1]]]
    assert last_edge == view["edges"][-1]
    assert last_edge["violated"] == ["graceful_end"]


def test_static_export_is_bounded(rfc9293):
    with pytest.raises(ExplorerError, match="more than 100 reachable states"):
        reachable_graph(rfc9293, max_states=100)


def test_static_file_is_self_contained(tmp_path, catalogue):
    out = tmp_path / "no_time_wait.html"
    written = write_static(catalogue.session("no_time_wait"), out)
    text = out.read_text(encoding="utf-8")
    assert written["bytes"] == len(text.encode("utf-8"))
    assert '"mode":"static"' in text and "</script>" in text
    # nothing is loaded from elsewhere: no external script, style, image or font
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)
    assert "@import" not in text and "url(http" not in text


# ------------------------------------------------------------------ the server
@pytest.fixture(scope="module")
def server(catalogue):
    srv = ExplorerServer(catalogue, default_spec="rfc9293").start()
    yield srv
    srv.stop()


def get(server, path, method="GET"):
    req = urllib.request.Request(server.url.rstrip("/") + path, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers.get("Content-Type"), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read()


def test_server_is_bound_to_localhost(server):
    assert server.httpd.server_address[0] == "127.0.0.1" and server.port > 0
    assert server.url == f"http://127.0.0.1:{server.port}/"


def test_page_and_api(server):
    status, ctype, body = get(server, "/?spec=rfc9293&run=0")
    assert status == 200 and ctype.startswith("text/html")
    page = body.decode()
    assert '"mode":"server"' in page and "rfc9293" in page and "/*SCRIPT*/" not in page
    status, ctype, body = get(server, "/api/specs")
    assert status == 200 and json.loads(body)["specs"] == sorted(p.stem for p in SPECS.glob("*.toml"))
    status, _, body = get(server, "/api/view?spec=rfc9293&run=0")
    v = json.loads(body)
    assert status == 200 and v["nodes"][-1]["state"]["client"]["state"] == "SYN-SENT"
    status, _, body = get(server, "/api/spec?spec=rfc9293&loss=1")
    assert status == 200 and json.loads(body)["parameters"]["loss"] == 1
    status, _, body = get(server, "/api/traces?spec=rfc9293")
    assert status == 200 and json.loads(body)["traces"][0]["run"] == GRACEFUL_END_RUN
    status, ctype, _ = get(server, "/?spec=rfc9293&trace=graceful_end&step=7")
    assert status == 200


def test_exports(server):
    status, ctype, body = get(server, "/export/run.json?spec=rfc9293&run=0.0")
    doc = json.loads(body)
    assert status == 200 and [s["action"] for s in doc["trace"]["steps"]] == [
        "client: OPEN (active), ISS=100", "server: receive SYN seq=100"]
    status, ctype, body = get(server, "/export/run.itf.json?spec=rfc9293&run=0.0")
    itf = json.loads(body)
    assert status == 200 and [x["action"]["kind"] for x in itf["states"]] == ["init", "OPEN", "deliver"]
    if DOT_MISSING and not IN_CI:
        pytest.skip("Graphviz dot is not installed (scripts/install.sh installs it)")
    status, ctype, body = get(server, "/export/ladder.svg?spec=rfc9293&run=0.0")
    assert status == 200 and ctype == "image/svg+xml" and b"<svg" in body and b"SYN&#45;RECEIVED" in body
    status, ctype, body = get(server, "/export/ladder.png?spec=rfc9293&run=0.0")
    assert status == 200 and body.startswith(b"\x89PNG")


@pytest.mark.parametrize("path, status, message", [
    ("/?spec=rfc9293&run=0.99", 400, "run: step 2 chooses action 99; allowed: 0..1"),
    ("/?spec=nope", 404, "no spec named &#x27;nope&#x27;"),
    ("/?spec=rfc9293&trace=nope", 404, "no counterexample or witness named &#x27;nope&#x27;"),
    ("/?spec=rfc9293&trace=graceful_end&step=99", 400, "step: a step of trace"),
    ("/?spec=rfc9293&step=3", 400, "step: only means something with trace=NAME"),
    ("/?spec=rfc9293&lang=fr", 400, "lang: unknown language &#x27;fr&#x27;; allowed: en, zh"),
    ("/?spec=rfc9293&loss=9", 400, "loss: a fault budget from 0 to 3"),
    ("/?spec=rfc9293&evil=1", 400, "unknown query parameter &#x27;evil&#x27;"),
    ("/?spec=rfc9293&spec=rfc1337", 400, "query parameter &#x27;spec&#x27; is given 2 times"),
    ("/etc/passwd", 404, "no such page"),
    ("/../../etc/passwd", 404, "no such page"),
    ("/%2e%2e/%2e%2e/etc/passwd", 404, "no such page"),
    ("/assets/", 404, "no such page"),
    ("/tcpmodel/explorer/assets/app.js", 404, "no such page"),
])
def test_bad_requests_get_an_error_page(server, path, status, message):
    got, ctype, body = get(server, path)
    text = body.decode()
    assert got == status and ctype.startswith("text/html")
    assert message in text and "Traceback" not in text


def test_other_host_names_are_refused(server):
    req = urllib.request.Request(server.url + "api/specs", headers={"Host": "evil.example:80"})
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req, timeout=30)
    assert exc.value.code == 400 and "unexpected Host header 'evil.example:80'" in exc.value.read().decode()
    req = urllib.request.Request(server.url + "api/specs", headers={"Host": f"localhost:{server.port}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.status == 200


def test_bad_api_requests_get_json_errors(server):
    got, ctype, body = get(server, "/api/view?spec=rfc9293&run=x")
    assert got == 400 and ctype.startswith("application/json")
    assert json.loads(body) == {"error": "run: expected action indices separated by dots (e.g. 0.3.1), got 'x'",
                                "status": 400}
    got, _, body = get(server, "/api/view", method="POST")
    assert got == 405 and "GET only" in json.loads(body)["error"]


# ------------------------------------------------------------------ the command line
def cli(*args, **kw):
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    return [sys.executable, "-m", "tcpmodel", *map(str, args)], dict(cwd=ROOT, env=env, **kw)


def test_cli_static(tmp_path):
    cmd, kw = cli("explore", "three_step_close", "--static", tmp_path / "t.html")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"wrote {tmp_path / 't.html'} (") and "three_step_close" in proc.stdout
    cmd, kw = cli("explore", "short_time_wait", "--static", tmp_path / "big.html")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)
    assert proc.returncode == 2
    assert proc.stderr == ("tcpmodel: error: spec short_time_wait: more than 20,000 reachable states; "
                           "--static exports specs of at most 20,000 states\n")
    assert not (tmp_path / "big.html").exists()


def test_cli_unknown_spec_exits_2():
    cmd, kw = cli("explore", "nope", "--no-browser")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, **kw)
    assert proc.returncode == 2 and proc.stderr.startswith("tcpmodel: error: spec: no spec named 'nope'")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_cli_server_prints_its_address_and_stops_on_ctrl_c(sig):
    cmd, kw = cli("explore", "specs/rfc9293.toml", "--no-browser")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    try:
        line = proc.stdout.readline()
        m = re.match(r"tcpmodel explorer: (http://127\.0\.0\.1:(\d+)/)\?spec=rfc9293  \(Ctrl-C stops it\)$", line.strip())
        assert m, line
        with urllib.request.urlopen(m.group(1) + "api/view?spec=rfc9293&run=0", timeout=30) as r:
            assert json.loads(r.read())["run"] == [0]
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and out == "tcpmodel explorer: stopped\n" and "Traceback" not in err
