"""Public formats (docs/formats.md): the --json documents against their shipped JSON Schemas,
traces in the Informal Trace Format (Apalache ADR-015), the reachable graph as GraphML.

The CLI runs through its real entry point (``python -m tcpmodel``) in subprocesses; the
document checks use ``jsonschema`` and ``networkx`` as an outside reader would.
"""

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import networkx as nx
import pytest

from tcpmodel.cli import main
from tcpmodel.engine import Trace
from tcpmodel.formats import FORMAT_VERSION, trace_to_itf
from tcpmodel.formats.itf import VARS, itf_value
from tcpmodel.formats.jsondoc import FormatError, schema, validate
from tcpmodel.run import run_spec
from tcpmodel.spec import load

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"


def cli(*args, cwd=ROOT):
    proc = subprocess.run([sys.executable, "-m", "tcpmodel", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, encoding="utf-8", timeout=300, env=dict(os.environ, PYTHONIOENCODING="utf-8"))
    return proc


def validator(kind):
    return jsonschema.Draft202012Validator(schema(kind))


def test_the_shipped_schemas_are_valid_json_schemas():
    for kind in ("check", "sweep", "explain", "itf"):
        jsonschema.Draft202012Validator.check_schema(schema(kind))


def test_the_documents_share_one_definition_of_state_segment_action_trace():
    # each schema is self-contained for readers; these definitions must not drift apart
    shared = ("flags", "segment", "tcb", "state", "action", "trace", "tool", "head_version", "seconds")
    for kind in ("sweep", "explain"):
        for name in shared:
            assert schema(kind)["$defs"][name] == schema("check")["$defs"][name], (kind, name)


# --------------------------------------------------------------------------------------------
# check --json


@pytest.fixture(scope="module")
def check_json():
    proc = cli("check", SPECS / "no_time_wait.toml", SPECS / "no_retransmit.toml", "--json", "--no-write")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_check_json_matches_its_schema_and_names_flags_and_actions(check_json):
    doc = check_json
    validator("check").validate(doc)
    assert doc["format_version"] == FORMAT_VERSION and doc["kind"] == "check"
    assert doc["tool"]["name"] == "tcpmodel"
    spec = doc["specs"][0]
    assert spec["spec"] == "no_time_wait"
    assert spec["counts"] == {"states": 1177, "transitions": 2495, "depth": 22} == spec["expected_counts"]
    assert spec["unexpected"] == []
    steps = spec["verdicts"][0]["trace"]["steps"]
    assert steps[1]["action"] == {
        "kind": "deliver", "actor": "server", "direction": "client→server",
        "segment": {"seq": 100, "ack": 0, "flags": ["SYN"], "dlen": 0, "cinc": 1, "sconn": 0, "limit": 1, "age": 0,
                    "text": "SYN seq=100"},
        "text": "server: receive SYN seq=100",
    }
    assert steps[0]["action"] == {"kind": "OPEN", "actor": "client", "iss": 100, "text": "client: OPEN (active), ISS=100"}
    assert steps[16]["action"]["kind"] == "lose" and steps[16]["action"]["actor"] is None
    assert steps[18]["action"] == {"kind": "timeout", "actor": "server", "timer": "retransmission",
                                   "text": "server: retransmission timeout"}
    assert steps[1]["state"]["network"]["server→client"][0]["flags"] == ["SYN", "ACK"]
    assert steps[1]["state"]["server"]["state"] == "SYN-RECEIVED"


def test_check_json_keeps_run_statistics_apart(check_json):
    again = cli("check", SPECS / "no_time_wait.toml", SPECS / "no_retransmit.toml", "--json", "--no-write")
    doc2 = json.loads(again.stdout)
    assert set(check_json["run"]) == {"seconds", "specs"}
    assert [s["spec"] for s in check_json["run"]["specs"]] == ["no_time_wait", "no_retransmit"]
    assert all(set(s) == {"spec", "seconds", "liveness_seconds", "states_per_second", "peak_rss_bytes"}
               for s in check_json["run"]["specs"])
    # Everything but "run" is deterministic; no time or memory appears elsewhere.
    strip = lambda d: {k: v for k, v in d.items() if k != "run"}  # noqa: E731
    assert strip(check_json) == strip(doc2)
    text = json.dumps(strip(check_json))
    assert "seconds" not in text and "rss" not in text


def test_schema_invalid_json_never_leaves_the_tool(monkeypatch, capsys):
    import tcpmodel.formats.jsondoc as jsondoc

    real = jsondoc.spec_data

    def broken(run):
        d = real(run)
        d["verdicts"][0]["status"] = "maybe"  # not a status the schema allows
        return d

    monkeypatch.setattr(jsondoc, "spec_data", broken)
    code = main(["check", str(SPECS / "three_step_close.toml"), "--json", "--no-write"])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        "tcpmodel: error: internal error: the check document does not match its schema at specs/0/verdicts/0/status: "
        "'maybe' is not one of ['holds', 'violated', 'unknown']"]


def test_validate_names_where_a_document_is_wrong():
    with pytest.raises(FormatError, match=r"at \(top\): 'kind' is a required property"):
        validate({"format_version": "1.0", "tool": {"name": "tcpmodel", "version": "0"}}, "explain")


# --------------------------------------------------------------------------------------------
# explain --json, sweep --json


def test_explain_json_matches_its_schema():
    proc = cli("explain", "close", "--json", "--no-write")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    validator("explain").validate(doc)
    assert (doc["kind"], doc["topic"], doc["variant"], doc["switches"]) == ("explain", "close", "three_step_close", [])
    assert (doc["variant_status"], doc["real_status"]) == ("violated", "holds")
    assert len(doc["variant_trace"]["steps"]) == len(doc["variant_steps"]) == 12
    assert doc["variant_trace"]["steps"][7]["action"]["segment"]["flags"] == ["FIN", "ACK"]
    assert doc["variant_trace"]["steps"][7]["state"]["server"]["state"] == "LAST-ACK"  # FIN answered by FIN,ACK


def test_explain_json_names_the_switches():
    proc = cli("explain", "time-wait", "--json", "--no-write")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    validator("explain").validate(doc)
    # the document carries the lesson's first part: TIME-WAIT's first reason, no_time_wait.toml
    assert (doc["variant"], doc["switches"]) == ("no_time_wait", [])


def test_sweep_json_matches_its_schema():
    proc = cli("sweep", "three_step_close", "--dup", "0..1", "--json", "--no-write")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    validator("sweep").validate(doc)
    assert [p["coords"] for p in doc["points"]] == [{"dup": 0}, {"dup": 1}]
    assert [p["verdicts"] for p in doc["points"]] == [{"close_delivers_all": "violated"}] * 2
    assert (doc["variant"], doc["switches"]) == ("three_step_close", [])
    assert [p["coords"] for p in doc["run"]["points"]] == [{"dup": 0}, {"dup": 1}]
    assert "seconds" not in json.dumps(doc["points"])


# --------------------------------------------------------------------------------------------
# ITF (Apalache ADR-015)


def itf_expr_ok(e) -> bool:
    """An ITF expression, by the grammar of ADR-015 ("Expressions"), checked independently of
    the shipped schema."""
    if isinstance(e, bool) or isinstance(e, str):
        return True
    if isinstance(e, int):
        return -(2 ** 53) + 1 <= e <= 2 ** 53 - 1
    if isinstance(e, list):
        return all(itf_expr_ok(x) for x in e)
    if isinstance(e, dict):
        special = [k for k in e if k.startswith("#")]
        if special:
            if len(e) != 1:
                return False
            (k, v), = e.items()
            if k == "#bigint":
                return isinstance(v, str) and v.lstrip("-").isdigit()
            if k in ("#tup", "#set"):
                return isinstance(v, list) and all(itf_expr_ok(x) for x in v)
            if k == "#map":
                return isinstance(v, list) and all(isinstance(p, list) and len(p) == 2 and all(map(itf_expr_ok, p)) for p in v)
            return k == "#unserializable" and isinstance(v, str)
        return all(itf_expr_ok(v) for v in e.values())
    return False  # null and floats are not ITF


def itf_trace_ok(doc) -> list:
    """The trace object rules of ADR-015; the list of what is wrong."""
    bad = []
    allowed = {"#meta", "params", "vars", "states", "loop"}
    bad += [f"unknown field {k}" for k in doc if k not in allowed]
    if not (isinstance(doc.get("vars"), list) and all(isinstance(v, str) for v in doc["vars"])):
        bad.append("vars is not an array of strings")
    for i, state in enumerate(doc.get("states", [])):
        names = {k for k in state if k != "#meta"}
        if names != set(doc["vars"]):
            bad.append(f"state {i} defines {sorted(names)}, not the vars")
        bad += [f"state {i}: {k} is not an ITF expression" for k in names if not itf_expr_ok(state[k])]
    if "loop" in doc and not (isinstance(doc["loop"], int) and 0 <= doc["loop"] < len(doc["states"])):
        bad.append("loop is not the index of a state")
    return bad


def test_itf_files_follow_adr_015(tmp_path):
    out = tmp_path / "itf"
    proc = cli("check", "no_time_wait", "rfc9293_simultaneous", "--no-write", "--itf", out)
    assert proc.returncode == 0, proc.stderr
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.itf.json"))
    assert files == ["no_time_wait/graceful_end.itf.json", "rfc9293_simultaneous/simultaneous_close.itf.json",
                     "rfc9293_simultaneous/simultaneous_open.itf.json", "rfc9293_simultaneous/three_way_handshake.itf.json"]
    assert f"4 ITF trace(s) written under {out}/" in proc.stdout
    for path in out.rglob("*.itf.json"):
        doc = json.loads(path.read_text(encoding="utf-8"))
        assert itf_trace_ok(doc) == [], path
        validator("itf").validate(doc)
    doc = json.loads((out / "no_time_wait" / "graceful_end.itf.json").read_text(encoding="utf-8"))
    assert doc["vars"] == list(VARS) and "loop" not in doc
    assert doc["#meta"]["format"] == "ITF" and doc["#meta"]["trace_kind"] == "counterexample"
    assert len(doc["states"]) == 22 and [s["#meta"]["index"] for s in doc["states"]] == list(range(22))
    assert doc["states"][0]["action"] == {"kind": "init", "text": "initial state"}
    s1 = doc["states"][2]
    assert s1["action"]["segment"]["flags"] == {"#set": ["SYN"]}
    assert s1["server"]["state"] == "SYN-RECEIVED"
    assert s1["server_to_client"][0]["flags"] == {"#set": ["SYN", "ACK"]}
    assert doc["states"][-1]["action"]["text"] == "server: receive RST seq=103"


def test_itf_lasso_lists_each_state_once_and_loops_back():
    run = run_spec(load(SPECS / "no_time_wait.toml"))
    real = run.result.verdicts["graceful_end"].trace
    states, actions = real.states, real.actions
    lasso = Trace(states=(states[0], states[1], states[2], states[1]), actions=(actions[0], actions[1], actions[0]),
                  loop_start=1)
    verdicts = dict(run.result.verdicts)
    verdicts["graceful_end"] = dataclasses.replace(verdicts["graceful_end"], trace=lasso)
    run.result = dataclasses.replace(run.result, verdicts=verdicts)
    doc = trace_to_itf(run, "graceful_end")
    assert itf_trace_ok(doc) == []
    assert doc["loop"] == 1 and len(doc["states"]) == 3
    assert doc["#meta"]["trace_kind"] == "lasso"
    assert doc["#meta"]["loop_action"]["text"] == "client: OPEN (active), ISS=100"


def test_itf_integers_beyond_json_precision_are_bigints():
    assert itf_value(2 ** 53 - 1) == 2 ** 53 - 1
    assert itf_value(2 ** 53) == {"#bigint": str(2 ** 53)}
    assert itf_value(-(2 ** 60)) == {"#bigint": str(-(2 ** 60))}
    assert itf_value({"a": None, "flags": ["SYN"], "b": [1, True]}) == {"flags": {"#set": ["SYN"]}, "b": [1, True]}
    with pytest.raises(TypeError):
        itf_value(1.5)


# --------------------------------------------------------------------------------------------
# GraphML


def test_graphml_reads_back_with_networkx(tmp_path):
    proc = cli("check", "no_time_wait", "--no-write", "--graphml", tmp_path / "g")
    assert proc.returncode == 0, proc.stderr
    g = nx.read_graphml(tmp_path / "g" / "no_time_wait.graphml", force_multigraph=True)
    assert isinstance(g, nx.MultiDiGraph)
    assert (g.number_of_nodes(), g.number_of_edges()) == (1177, 2495)
    for _, data in g.nodes(data=True):
        assert all(isinstance(v, (str, int, bool, float)) for v in data.values())
    n0 = g.nodes["n0"]
    assert n0["initial"] is True and (n0["client_state"], n0["server_state"]) == ("CLOSED", "LISTEN")
    assert n0["in_flight"] == 0 and n0["label"] == "CLOSED | LISTEN"
    edge = next(d for _, _, d in g.out_edges("n0", data=True))
    assert edge == {"kind": "OPEN", "actor": "client", "direction": "", "flags": "", "text": "client: OPEN (active), ISS=100"}
    assert sum(1 for _, d in g.nodes(data=True) if d["initial"]) == 1


def test_itf_and_graphml_name_the_variant_and_its_switches(tmp_path):
    from tcpmodel.formats import write_graphml

    run = run_spec(load(SPECS / "rfc9293_throttled.toml"), properties=["three_way_handshake"], keep_graph=True)
    meta = trace_to_itf(run, "three_way_handshake")["#meta"]
    assert (meta["variant"], meta["switches"]) == ("rfc9293", ["ack_throttling"])
    write_graphml(tmp_path / "t.graphml", run)
    g = nx.read_graphml(tmp_path / "t.graphml", force_multigraph=True)
    assert (g.graph["variant"], g.graph["switches"]) == ("rfc9293", "ack_throttling")


def test_format_flags_name_a_folder(tmp_path):
    a_file = tmp_path / "f"
    a_file.write_text("x")
    for flag in ("--itf", "--graphml"):
        proc = cli("check", "no_time_wait", "--no-write", flag, a_file)
        assert proc.returncode == 2 and proc.stdout == ""
        assert proc.stderr.splitlines() == [f"tcpmodel: error: {flag} '{a_file}': must name a folder (it is created if missing)"]
