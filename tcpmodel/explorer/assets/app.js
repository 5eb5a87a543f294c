// tcpmodel explorer: plays a spec step by step. Two backends give the same data: the local
// server (/api/...) and, for the static export, the reachable graph embedded in the page.
(function () {
  "use strict";
  var BOOT = JSON.parse(document.getElementById("boot").textContent);

  var WORDS = {
    en: {
      title: "tcpmodel explorer", spec: "spec", loss_budget: "loss budget", dup_budget: "dup budget",
      back: "back", forward: "forward", restart: "restart", export: "export", share: "link to this run",
      network: "network", properties: "properties", enabled: "enabled actions",
      traces: "counterexamples and witnesses", ladder: "the run so far", steps: "steps", loading: "checking…",
      client: "client", server: "server", step: "step", of: "of", initial: "initial state",
      g_user: "user calls", g_deliver: "deliveries", g_timer: "timers", g_tick: "time", g_fault: "faults",
      budget_left: "left", no_actions: "No action is enabled here.", deadlock: "a dead end that is not a proper end",
      proper_end: "a proper end: both sides without a connection, nothing in flight",
      rfc_state: "RFC state", timers: "timers", rexmt: "retransmission", tw: "TIME-WAIT", off: "off",
      ticks_left: "ticks left", retries: "retries", app: "application", written: "written", delivered: "delivered",
      closed: "CLOSE called", fin_rcvd: "peer's FIN received", queued: "queued", yes: "yes", no: "no",
      inc: "incarnation", in_flight: "in flight", nothing: "nothing in flight", age: "age", max_delay: "max delay",
      ok: "holds here", violated: "VIOLATED", reached: "reached", not_yet: "not reached yet",
      check_only: "liveness: checked by `check` only", first_at: "first at step",
      on_state: "on the state", on_step: "on the last step", deadend_prop: "no dead end",
      open_last: "open at last step", open_start: "open at start", steps_n: "steps",
      counterexample: "counterexample", witness: "witness", lasso: "lasso (cycle)",
      following: "following", left_trace: "left the trace after step", violates: "violates",
      none: "none", expected: "expected", error: "error", budgets: "fault budgets left",
      loss: "loss", dup: "duplication", copied: "link copied to the address bar",
      cycle_at: "the cycle starts at step", no_tcb: "—",
      run_checker: "run the checker with these fault budgets", why: "why", at_step: "at step",
      cycle_here: "the cycle starts here and repeats forever"
    },
    zh: {
      title: "tcpmodel 交互探索", spec: "规格", loss_budget: "丢包预算", dup_budget: "复制预算",
      back: "后退", forward: "前进", restart: "重新开始", export: "导出", share: "本次运行的链接",
      network: "网络", properties: "性质", enabled: "可执行的动作",
      traces: "反例与见证", ladder: "目前的运行", steps: "步骤", loading: "检查中…",
      client: "客户端", server: "服务器", step: "步骤", of: "/", initial: "初始状态",
      g_user: "应用调用", g_deliver: "报文到达", g_timer: "定时器", g_tick: "时间", g_fault: "网络故障",
      budget_left: "剩余", no_actions: "这里没有可执行的动作。", deadlock: "死锁：不是正常结束的终点",
      proper_end: "正常结束：双方都没有连接，网络中没有报文",
      rfc_state: "RFC 状态", timers: "定时器", rexmt: "重传", tw: "TIME-WAIT", off: "关闭",
      ticks_left: "格剩余", retries: "重传次数", app: "应用", written: "已写入", delivered: "已交付",
      closed: "已调用 CLOSE", fin_rcvd: "收到对方 FIN", queued: "待发送", yes: "是", no: "否",
      inc: "连接化身", in_flight: "在途", nothing: "网络中没有报文", age: "年龄", max_delay: "最大时延",
      ok: "此处成立", violated: "违反", reached: "已达到", not_yet: "尚未达到",
      check_only: "活性：仅由 `check` 检查", first_at: "首次于步骤",
      on_state: "针对状态", on_step: "针对最后一步", deadend_prop: "无死锁",
      open_last: "打开到最后一步", open_start: "从头打开", steps_n: "步",
      counterexample: "反例", witness: "见证", lasso: "套索（循环）",
      following: "正在跟随", left_trace: "已离开该轨迹，于步骤", violates: "违反",
      none: "无", expected: "预期", error: "错误", budgets: "剩余故障预算",
      loss: "丢包", dup: "复制", copied: "链接已放入地址栏",
      cycle_at: "循环开始于步骤", no_tcb: "—",
      run_checker: "用这些故障预算运行检查器", why: "原因", at_step: "于步骤",
      cycle_here: "循环从这里开始，永远重复"
    }
  };

  // ---------------------------------------------------------------- state of the page
  var P = {
    lang: "en", spec: null, info: null, run: [], future: [], texts: [], view: null, traces: null,
    follow: null, loss: "", dup: "", seq: 0
  };

  function w(key) { return (WORDS[P.lang] || WORDS.en)[key] || WORDS.en[key] || key; }
  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "cls") e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c != null) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); return e; }

  // ---------------------------------------------------------------- backends
  function query(extra) {
    var q = new URLSearchParams();
    q.set("spec", P.spec);
    if (P.loss !== "") q.set("loss", P.loss);
    if (P.dup !== "") q.set("dup", P.dup);
    Object.keys(extra || {}).forEach(function (k) { q.set(k, extra[k]); });
    return q.toString();
  }

  function serverBackend() {
    function get(path, extra) {
      return fetch(path + "?" + query(extra)).then(function (r) {
        return r.json().then(function (d) { if (!r.ok) throw new Error(d.error || r.statusText); return d; });
      });
    }
    return {
      info: function () { return get("/api/spec"); },
      view: function (run) { return get("/api/view", {run: run.join(".")}); },
      traces: function () { return get("/api/traces").then(function (d) { return d.traces; }); }
    };
  }

  function staticBackend(boot) {
    var g = boot.graph;
    function node(id) {
      var n = g.nodes[id], state = {};
      g.keys.forEach(function (k, i) { state[k] = g.tables[k][n[0][i]]; });
      return {state: state, violated: n[1], reached: n[2], terminal: !!n[3]};
    }
    function edge(idx) { return JSON.parse(JSON.stringify(g.edges[idx])); }
    return {
      info: function () { return Promise.resolve(boot.spec); },
      traces: function () { return Promise.resolve(boot.traces); },
      view: function (run) {
        var cur = 0, nodes = [node(0)], edges = [];
        for (var k = 0; k < run.length; k++) {
          var succ = g.succ[cur], n = succ.length / 2;
          if (!(run[k] >= 0 && run[k] < n)) {
            return Promise.reject(new Error("run: step " + (k + 1) + " chooses action " + run[k] + "; allowed: " +
              (n ? "0.." + (n - 1) : "none")));
          }
          edges.push(edge(succ[2 * run[k]]));
          cur = succ[2 * run[k] + 1];
          nodes.push(node(cur));
        }
        var last = g.succ[cur], enabled = [];
        for (var i = 0; i < last.length / 2; i++) { var e = edge(last[2 * i]); e.index = i; enabled.push(e); }
        return Promise.resolve({spec: boot.spec.name, run: run.slice(), nodes: nodes, edges: edges, enabled: enabled});
      }
    };
  }

  var backend = BOOT.mode === "static" ? staticBackend(BOOT) : serverBackend();

  // ---------------------------------------------------------------- address (share a run)
  function readAddress() {
    var q = new URLSearchParams(location.search);
    var h = new URLSearchParams(location.hash.replace(/^#/, ""));
    h.forEach(function (v, k) { q.set(k, v); });
    return q;
  }
  function address() {
    var q = new URLSearchParams();
    if (BOOT.mode !== "static") q.set("spec", P.spec);
    if (P.loss !== "") q.set("loss", P.loss);
    if (P.dup !== "") q.set("dup", P.dup);
    q.set("run", P.run.join("."));
    if (P.lang !== "en") q.set("lang", P.lang);
    return q.toString().replace(/%2E/g, ".");
  }
  function writeAddress() {
    var a = address();
    var url = BOOT.mode === "static" ? location.pathname + location.search + "#" + a : location.pathname + "?" + a;
    try { history.replaceState(null, "", url); } catch (e) { /* file:// pages may refuse: the link below still works */ }
    $("share").href = url;
    $("export-dot-svg").href = "/export/ladder.svg?" + query({run: P.run.join(".")});
    $("export-dot-png").href = "/export/ladder.png?" + query({run: P.run.join(".")});
    $("export-itf").href = "/export/run.itf.json?" + query({run: P.run.join(".")});
  }

  // ---------------------------------------------------------------- errors
  function showError(msg) { var e = $("error"); e.textContent = w("error") + ": " + msg; e.hidden = false; }
  function hideError() { $("error").hidden = true; }

  // ---------------------------------------------------------------- navigation
  function go(run, future, texts) {
    var seq = ++P.seq;
    // the steps' texts along run + future: known ones kept (back/forward), the run's from the view
    var all = run.concat(future || []), old = P.run.concat(P.future), keep = [];
    for (var i = 0; i < all.length && i < old.length && all[i] === old[i]; i++) keep.push(P.texts[i]);
    if (texts) keep = texts.slice();
    var t0 = performance.now();
    return backend.view(run).then(function (v) {
      if (seq !== P.seq) return;  // a later click won
      P.run = run.slice();
      P.future = future || [];
      P.view = v;
      P.texts = keep;
      v.edges.forEach(function (e, j) { P.texts[j] = e.text; });
      hideError();
      render();
      writeAddress();
      document.body.setAttribute("data-ms", String(Math.round(performance.now() - t0)));
      document.body.setAttribute("data-steps", String(P.run.length));
    }).catch(function (e) { if (seq === P.seq) showError(e.message); });
  }
  function choose(index) {
    var fut = P.future;
    // Following a trace (or forward history): taking its next action stays on it; any other leaves it.
    var keep = fut.length && fut[0] === index ? fut.slice(1) : [];
    if (!keep.length && P.follow && !(fut.length && fut[0] === index)) P.follow.left = P.run.length;
    go(P.run.concat([index]), keep);
  }
  function back() { if (P.run.length) go(P.run.slice(0, -1), [P.run[P.run.length - 1]].concat(P.future)); }
  function forward() { if (P.future.length) go(P.run.concat([P.future[0]]), P.future.slice(1)); }
  function restart() { P.follow = null; go([], []); }
  function jump(k) {  // to step k of the run (or of the remembered future)
    var all = P.run.concat(P.future);
    go(all.slice(0, k), all.slice(k));
  }

  // ---------------------------------------------------------------- rendering
  function sideView(side) {
    var v = P.view, node = v.nodes[v.nodes.length - 1], tcb = node.state[side];
    var box = clear($(side));
    var hist = [];
    v.nodes.forEach(function (n) { var s = n.state[side].state; if (hist[hist.length - 1] !== s) hist.push(s); });
    function row(label, value, cls) {
      return el("tr", null, [el("td", {text: label}), el("td", {text: String(value), cls: cls || "num"})]);
    }
    var timerText = function (t) { return t < 0 ? w("off") : t + " " + w("ticks_left"); };
    var p = P.info.parameters;
    box.appendChild(el("h3", {text: w(side)}));
    box.appendChild(el("div", {cls: "rfc-state", id: side + "-state", text: tcb.state}));
    box.appendChild(el("div", {cls: "history", id: side + "-history", text: hist.join(" → ")}));
    var t = el("table");
    // CLOSED and LISTEN have no connection (RFC 9293 §3.3.2): its sequence variables do not exist.
    var conn = tcb.state !== "CLOSED" && tcb.state !== "LISTEN";
    [["ISS", tcb.iss], ["IRS", tcb.irs], ["SND.UNA", tcb.snd_una], ["SND.NXT", tcb.snd_nxt], ["RCV.NXT", tcb.rcv_nxt]]
      .forEach(function (r) { t.appendChild(row(r[0], conn ? r[1] : w("no_tcb"))); });
    t.appendChild(row(w("rexmt"), timerText(tcb.rexmt) + (tcb.rexmt >= 0 ? ", " + w("retries") + " " + tcb.retries + "/" + p.max_retries : ""),
      tcb.rexmt >= 0 ? "timer-on" : ""));
    t.appendChild(row(w("tw"), timerText(tcb.tw), tcb.tw >= 0 ? "timer-on" : ""));
    t.appendChild(row(w("app") + ": " + w("written"), tcb.written + (tcb.queued ? " (" + w("queued") + " " + tcb.queued + ")" : "")));
    t.appendChild(row(w("app") + ": " + w("delivered"), tcb.delivered));
    t.appendChild(row(w("closed"), tcb.app_closed ? w("yes") : w("no"), ""));
    t.appendChild(row(w("fin_rcvd"), tcb.fin_rcvd ? w("yes") : w("no"), ""));
    t.appendChild(row(w("inc"), tcb.inc));
    box.appendChild(t);
  }

  function networkView() {
    var v = P.view, st = v.nodes[v.nodes.length - 1].state, box = clear($("network")), msl = P.info.parameters.msl;
    P.info.directions.forEach(function (d, i) {
      var segs = st[d], div = el("div", {cls: "dir", id: "net-" + i});
      div.appendChild(el("h3", {text: (P.lang === "zh" ? (i === 0 ? "客户端→服务器" : "服务器→客户端") : d) + " (" + segs.length + ")"}));
      if (!segs.length) div.appendChild(el("div", {cls: "empty", text: w("nothing")}));
      segs.forEach(function (s) {
        // a segment lives at most its limit: max_delay as sent, MSL for a duplicate's copy
        var bar = el("span", {cls: "age" + (s.age >= s.limit ? " old" : "")}, [el("i", {style: "width:" + Math.min(100, 100 * s.age / s.limit) + "%"})]);
        var limit = s.limit === msl ? "MSL " + msl : w("max_delay") + " " + s.limit;
        div.appendChild(el("div", {cls: "seg"}, [el("span", {text: s.text}), bar, el("span", {cls: "agetext", text: w("age") + " " + s.age + "/" + limit})]));
      });
      box.appendChild(div);
    });
    box.appendChild(el("div", {cls: "budgets", id: "budgets", text: w("budgets") + ": " + w("loss") + " " + st.loss_budget_left + ", " + w("dup") + " " + st.dup_budget_left}));
  }

  function propertiesView() {
    var v = P.view, tab = clear($("properties")), n = v.edges.length, node = v.nodes[n];
    var bad = [];
    P.info.properties.forEach(function (p) {
      var status, cls = "", first = null, scope = "";
      var badAt = function (k) {  // is p violated at step k (state k, or the step into it)?
        if (p.scope === "state") return v.nodes[k].violated.indexOf(p.name) >= 0;
        if (p.scope === "step") return k > 0 && v.edges[k - 1].violated.indexOf(p.name) >= 0;
        return false;
      };
      var reachedAt = function (k) {
        if (p.scope === "witness_state") return v.nodes[k].reached.indexOf(p.name) >= 0;
        if (p.scope === "witness_step") return k > 0 && v.edges[k - 1].reached.indexOf(p.name) >= 0;
        return false;
      };
      for (var k = 0; k <= n && first === null; k++) if (badAt(k) || reachedAt(k)) first = k;
      if (p.scope === "state" || p.scope === "step") {
        scope = p.scope === "state" ? w("on_state") : w("on_step");
        if (badAt(n)) { status = w("violated"); cls = "violated"; } else status = w("ok");
      } else if (p.scope === "deadlock") {
        scope = w("on_state");
        if (!v.enabled.length && !node.terminal) { status = w("violated"); cls = "violated"; } else status = w("ok");
        if (cls && first === null) first = n;
      } else if (p.scope === "check_only") {
        status = w("check_only"); cls = "checkonly";
      } else {
        scope = p.scope === "witness_state" ? w("on_state") : w("on_step");
        if (reachedAt(n)) { status = w("reached"); cls = "reached"; } else status = first !== null ? w("reached") + " (" + w("step") + " " + first + ")" : w("not_yet");
      }
      var extra = (cls !== "violated" && first !== null && p.scope !== "witness_state" && p.scope !== "witness_step") ? " — " + w("violated") + ", " + w("first_at") + " " + first : "";
      if (cls === "violated") bad.push(p.name);
      tab.appendChild(el("tr", {cls: cls, "data-name": p.name, "data-status": cls || "ok"}, [
        el("td", null, [el("b", {text: p.name}), el("div", {cls: "desc", text: p.description}),
          p.explain ? el("div", {cls: "desc why", text: w("why") + ": " + p.explain}) : null]),
        el("td", {cls: "status", text: status + extra}),
        el("td", {cls: "desc", text: scope + (p.expected ? " · " + w("expected") + ": " + p.expected : "")})
      ]));
    });
    var alert = $("alert");  // a violation is shown at once, above everything
    alert.textContent = bad.length ? "⚠ " + w("violated") + " " + w("at_step") + " " + n + ": " + bad.join(", ") : "";
    alert.hidden = !bad.length;
  }

  function actionsView() {
    var v = P.view, box = clear($("actions")), st = v.nodes[v.nodes.length - 1];
    var next = P.future.length ? P.future[0] : -1;
    if (!v.enabled.length) {
      box.appendChild(el("p", {cls: st.terminal ? "" : "deadend", id: "no-actions", text: w("no_actions") + " " + (st.terminal ? w("proper_end") : w("deadlock"))}));
    }
    P.info.groups.forEach(function (g) {
      var items = v.enabled.filter(function (e) { return e.group === g; });
      if (!items.length) return;
      var title = w("g_" + g);
      if (g === "fault") title += " (" + w("budget_left") + ": " + w("loss") + " " + st.state.loss_budget_left + ", " + w("dup") + " " + st.state.dup_budget_left + ")";
      var div = el("div", {cls: "group", id: "group-" + g}, [el("h3", {text: title})]);
      items.forEach(function (e) {
        var b = el("button", {type: "button", "data-index": e.index, "data-kind": e.kind, "data-label": e.label.en,
          cls: (e.index === next ? "next-in-trace " : "") + (e.violated.length ? "would-violate" : "")}, [e.text[P.lang]]);
        if (e.violated.length) b.appendChild(el("span", {cls: "warn", text: "  ⚠ " + w("violates") + " " + e.violated.join(", ")}));
        b.addEventListener("click", function () { choose(e.index); });
        div.appendChild(b);
      });
      box.appendChild(div);
    });
  }

  function stepsView() {
    var v = P.view, ol = clear($("steps"));
    var li0 = el("li", {cls: v.edges.length === 0 ? "current" : "", "data-step": 0, text: w("initial") + ": " +
      v.nodes[0].state.client.state + " / " + v.nodes[0].state.server.state});
    li0.addEventListener("click", function () { jump(0); });
    ol.appendChild(li0);
    v.edges.forEach(function (e, i) {
      var before = v.nodes[i].state, after = v.nodes[i + 1].state, changes = [];
      P.info.sides.forEach(function (s) {
        if (before[s].state !== after[s].state) changes.push(w(s) + " " + before[s].state + " → " + after[s].state);
      });
      var li = el("li", {"data-step": i + 1, cls: (i + 1 === v.edges.length ? "current " : "") + (e.violated.length || v.nodes[i + 1].violated.length ? "bad" : "")},
        [e.text[P.lang], changes.length ? el("span", {cls: "change", text: "[" + changes.join("; ") + "]"}) : null]);
      li.addEventListener("click", function () { jump(i + 1); });
      ol.appendChild(li);
    });
    P.future.forEach(function (_, j) {
      var k = v.edges.length + j + 1, t = P.texts[k - 1];
      var li = el("li", {cls: "future", "data-step": k, text: t ? t[P.lang] : "…"});
      li.addEventListener("click", function () { jump(k); });
      ol.appendChild(li);
    });
    // a lasso (liveness counterexample): the cycle from loop_start on repeats forever
    var f = P.follow;
    if (f && f.left == null && f.loop_start != null) {
      var li = ol.querySelector("li[data-step='" + (f.loop_start + 1) + "']");
      if (li) li.appendChild(el("span", {cls: "cycle", text: "  ↻ " + w("cycle_here")}));
    }
    var cur = ol.querySelector("li.current");
    if (cur && cur.scrollIntoView) ol.scrollTop = Math.max(0, cur.offsetTop - ol.clientHeight / 2);
  }

  function positionView() {
    $("position").textContent = w("step") + " " + P.run.length + (P.future.length ? " " + w("of") + " " + (P.run.length + P.future.length) : "");
    $("back").disabled = !P.run.length;
    $("forward").disabled = !P.future.length;
    var f = $("following");
    if (P.follow) {
      f.textContent = P.follow.left != null ? w("left_trace") + " " + P.follow.left + " (" + P.follow.name + ")" : w("following") + " " + P.follow.name;
    } else f.textContent = "";
  }

  // ---------------------------------------------------------------- the ladder (SVG)
  var NS = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, text) {
    var e = document.createElementNS(NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text != null) e.textContent = text;
    return e;
  }
  var EVENT = {OPEN: "active OPEN", LISTEN: "passive OPEN", SEND: "SEND", CLOSE: "CLOSE", ABORT: "ABORT"};

  function ladderSvg() {
    var v = P.view, n = v.edges.length, ROW = 30, TOP = 56, W = 640;
    var X = {client: 150, server: 520}, MID = (X.client + X.server) / 2;
    var H = TOP + (n + 1) * ROW + 20;  // grows below with the segments still in flight
    var root = svg("svg", {xmlns: NS, width: W, height: H, viewBox: "0 0 " + W + " " + H, "font-family": "Helvetica, Arial, sans-serif", "font-size": "11"});
    var bg = svg("rect", {x: 0, y: 0, width: W, height: H, fill: "#ffffff"});
    root.appendChild(bg);
    var defs = svg("defs");
    ["#222222", "#c0392b", "#999999", "#d35400", "#1e8449"].forEach(function (c, i) {
      var m = svg("marker", {id: "arr" + i, viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse"});
      m.appendChild(svg("path", {d: "M0,0 L10,5 L0,10 z", fill: c}));
      defs.appendChild(m);
    });
    root.appendChild(defs);
    var ARR = {"#222222": 0, "#c0392b": 1, "#999999": 2, "#d35400": 3, "#1e8449": 4};
    var y = function (k) { return TOP + k * ROW; };
    var lifelines = [];
    // lifelines (their ends are set below) and headers
    P.info.sides.forEach(function (s) {
      var l = svg("line", {x1: X[s], y1: 30, x2: X[s], y2: y(n), stroke: "#bbbbbb", "stroke-width": 2});
      lifelines.push(l);
      root.appendChild(l);
      root.appendChild(svg("rect", {x: X[s] - 60, y: 4, width: 120, height: 36, rx: 4, fill: "#eaf2f8", stroke: "#20425e"}));
      root.appendChild(svg("text", {x: X[s], y: 18, "text-anchor": "middle", "font-weight": "bold"}, w(s)));
      root.appendChild(svg("text", {x: X[s], y: 33, "text-anchor": "middle"}, v.nodes[0].state[s].state));
    });
    root.appendChild(svg("text", {x: 12, y: 22, fill: "#999999"}, w("step")));
    var live = [], seen = {client: {}, server: {}}, labels = [], boxes = [];
    function arrow(f, x2, y2, color, dash, head) {
      var a = svg("line", {x1: f.x, y1: f.y, x2: x2, y2: y2, stroke: color, "stroke-width": 1.4});
      if (dash) a.setAttribute("stroke-dasharray", dash);
      if (head) a.setAttribute("marker-end", "url(#arr" + ARR[color] + ")");
      root.appendChild(a);
      var lx = f.x + (x2 - f.x) * 0.5, ly = f.y + (y2 - f.y) * 0.5 - 3;
      labels.push(svg("text", {x: lx, y: ly, "text-anchor": "middle", fill: color, stroke: "#ffffff", "stroke-width": 3, "paint-order": "stroke", "font-size": "10"}, f.label));
    }
    v.edges.forEach(function (e, i) {
      var k = i + 1, yy = y(k), bad = e.violated.length > 0 || v.nodes[k].violated.length > 0, good = e.reached.length > 0;
      var stepColor = bad ? "#c0392b" : (good ? "#1e8449" : "#999999");
      root.appendChild(svg("text", {x: 12, y: yy + 4, fill: stepColor, "font-weight": bad ? "bold" : "normal"}, String(k) + (bad ? " ✗ " + e.violated.concat(v.nodes[k].violated).join(",") : "")));
      if (e.kind === "tick") root.appendChild(svg("text", {x: MID, y: yy + 4, "text-anchor": "middle", fill: "#999999", "font-size": "10"}, "tick"));
      // segments leaving the network: delivered or lost
      if (e.kind === "deliver" || e.kind === "lose") {
        var idx = -1;
        for (var j = 0; j < live.length; j++) if (live[j].dir === e.direction && live[j].key === e.segment.key) { idx = j; break; }
        if (idx >= 0) {
          var f = live.splice(idx, 1)[0];
          var color = bad ? "#c0392b" : (f.dup ? "#d35400" : "#222222");
          if (e.kind === "deliver") arrow(f, X[f.to], yy, color, f.dup ? "5,3" : null, true);
          else {
            var lx = f.x + (X[f.to] - f.x) * 0.55;
            arrow(f, lx, yy, "#c0392b", f.dup ? "5,3" : null, false);
            root.appendChild(svg("text", {x: lx, y: yy + 6, "text-anchor": "middle", fill: "#c0392b", "font-size": "16", "font-weight": "bold"}, "✕"));
          }
        }
      }
      if (e.kind === "dup") {
        var to = e.direction === P.info.directions[0] ? "server" : "client";
        root.appendChild(svg("text", {x: MID, y: yy + 4, "text-anchor": "middle", fill: "#d35400", "font-size": "10"}, "dup"));
        live.push({dir: e.direction, key: e.segment.key, x: MID, y: yy, to: to, dup: true, label: e.segment.text + " (dup)"});
      }
      // the actor: its event, its state change, the segments it sends
      if (e.actor) {
        var x = X[e.actor], before = v.nodes[i].state[e.actor].state, after = v.nodes[k].state[e.actor].state;
        var side = e.actor === "client" ? -1 : 1, note = EVENT[e.kind] || (e.kind === "timeout" ? (e.timer === "time-wait" ? "TIME-WAIT timeout" : "RTO") : "");
        if (note) root.appendChild(svg("text", {x: x + side * 8, y: yy - 4, "text-anchor": side < 0 ? "end" : "start", fill: e.kind === "timeout" ? "#6c3483" : "#222222", "font-size": "10"}, note));
        if (before !== after) {
          var wbox = Math.max(70, after.length * 7.2 + 10);
          boxes.push(svg("rect", {x: x - wbox / 2, y: yy - 2, width: wbox, height: 16, rx: 6, fill: bad ? "#fdecea" : "#ffffff", stroke: bad ? "#c0392b" : "#1a5276"}));
          boxes.push(svg("text", {x: x, y: yy + 10, "text-anchor": "middle", fill: bad ? "#c0392b" : "#1a5276", "font-size": "10", "font-weight": "bold"}, after));
        }
        e.sent.forEach(function (s) {
          // only what the retransmission timer resends is a retransmission: a fresh reply that
          // repeats an earlier segment (a re-ACK) is not (as in the textbook ladders, render/ladder.py)
          var rex = !!seen[e.actor][s.key] && e.kind === "timeout" && e.timer === "retransmission";
          seen[e.actor][s.key] = true;
          live.push({dir: s.direction, key: s.key, x: x, y: yy, to: e.actor === "client" ? "server" : "client", dup: false, label: s.text + (rex ? " (rexmt)" : "")});
        });
      }
    });
    // still in flight: dotted arrows to below the last step, one row apart so labels do not collide
    live.forEach(function (f, j) {
      var x2 = f.x + (X[f.to] - f.x) * 0.5;
      f.label += " (" + w("in_flight") + ")";
      arrow(f, x2, y(n) + ROW * (0.9 + 0.7 * j), "#999999", "2,3", true);
    });
    var yEnd = y(n) + ROW * (0.9 + 0.7 * Math.max(0, live.length - 1)) + 8;
    lifelines.forEach(function (l) { l.setAttribute("y2", yEnd); });
    H = yEnd + 12;
    root.setAttribute("height", H);
    root.setAttribute("viewBox", "0 0 " + W + " " + H);
    bg.setAttribute("height", H);
    labels.forEach(function (l) { root.appendChild(l); });
    boxes.forEach(function (b) { root.appendChild(b); });  // state names stay readable above labels
    return root;
  }

  function ladderView() {
    var box = clear($("ladder"));
    var s = ladderSvg();
    s.id = "ladder-svg";
    s.setAttribute("style", "width:100%;height:auto");  // fit the column; exports keep the natural size
    box.appendChild(s);
    box.scrollTop = box.scrollHeight;
  }

  // ---------------------------------------------------------------- traces
  function tracesView() {
    var box = clear($("traces"));
    if (P.traces === null) { box.appendChild(el("span", {text: w("loading")})); return; }
    if (P.traces === "ask") {
      var b = el("button", {type: "button", id: "run-checker", text: w("run_checker")});
      b.addEventListener("click", loadTraces);
      box.appendChild(b);
      return;
    }
    if (!P.traces.length) { box.appendChild(el("span", {cls: "empty", text: w("none")})); return; }
    P.traces.forEach(function (t) {
      var what = w(t.what);
      var open = function (k) { return function (ev) { ev.preventDefault(); openTrace(t, k); }; };
      var aLast = el("a", {href: "#", "data-trace": t.name, "data-at": "last", text: w("open_last")});
      aLast.addEventListener("click", open(t.run.length));
      var aStart = el("a", {href: "#", "data-trace": t.name, "data-at": "start", text: w("open_start")});
      aStart.addEventListener("click", open(0));
      box.appendChild(el("div", {cls: "trace"}, [el("b", {text: t.name}), el("span", {cls: "what", text: " — " + what + ", " + t.steps + " " + w("steps_n") + (t.loop_start != null ? ", " + w("cycle_at") + " " + (t.loop_start + 1) : "") + " · "}), aLast, " · ", aStart]));
    });
  }
  function loadTraces() {
    P.traces = null;
    if (P.view) tracesView();
    return backend.traces().then(function (t) { P.traces = t; if (P.view) tracesView(); return t; },
      function (e) { P.traces = []; showError(e.message); });
  }
  function openTrace(t, k) {
    P.follow = {name: t.name, left: null, loop_start: t.loop_start};
    return go(t.run.slice(0, k), t.run.slice(k), t.texts);
  }

  // ---------------------------------------------------------------- export
  function download(name, blob) {
    var a = el("a", {href: URL.createObjectURL(blob), download: name});
    document.body.appendChild(a); a.click(); document.body.removeChild(a);
  }
  function svgText() { return new XMLSerializer().serializeToString(ladderSvg()); }
  function exportSvg() { download(P.spec + ".run.svg", new Blob([svgText()], {type: "image/svg+xml"})); }
  function exportPng() {
    var img = new Image(), s = ladderSvg();
    img.onload = function () {
      var c = document.createElement("canvas");
      c.width = +s.getAttribute("width") * 2; c.height = +s.getAttribute("height") * 2;
      var ctx = c.getContext("2d"); ctx.scale(2, 2); ctx.drawImage(img, 0, 0);
      c.toBlob(function (b) { download(P.spec + ".run.png", b); }, "image/png");
    };
    img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svgText());
  }
  function runJson() {  // the run as JSON: the initial state and each step with its action and next state
    var v = P.view;
    return {
      spec: P.spec, run: P.run.join("."), parameters: P.info.parameters,
      trace: {
        initial: v.nodes[0].state,
        steps: v.edges.map(function (e, i) { return {index: i + 1, action: e.label.en, description: e.text.en, state: v.nodes[i + 1].state}; }),
        loop_start: null, dead_end: v.enabled.length === 0
      }
    };
  }
  function exportJson() { download(P.spec + ".run.json", new Blob([JSON.stringify(runJson(), null, 2)], {type: "application/json"})); }

  // ---------------------------------------------------------------- chrome
  function chrome() {
    document.documentElement.lang = P.lang;
    Array.prototype.forEach.call(document.querySelectorAll("[data-w]"), function (e) { e.textContent = w(e.getAttribute("data-w")); });
    Array.prototype.forEach.call(document.querySelectorAll("#langs button"), function (b) { b.className = b.getAttribute("data-lang") === P.lang ? "on" : ""; });
    var i = P.info;
    $("spec-name").textContent = "— " + i.name;
    $("spec-desc").textContent = i.description;
    var p = i.parameters;
    $("spec-params").textContent = "variant " + p.variant + " · MSL " + p.msl + " · max_delay " + p.max_delay + " · RTO " + p.rto +
      (p.syn_rto !== p.rto ? " (SYN " + p.syn_rto + ")" : "") + " · max_retries " + p.max_retries +
      " · window " + p.window + " · TIME-WAIT " + (p.time_wait === null ? w("none") : p.time_wait) + " · channel " + p.channel + " · loss " + p.loss + " · dup " + p.dup;
  }
  function render() {
    chrome(); sideView("client"); sideView("server"); networkView(); propertiesView(); actionsView();
    stepsView(); ladderView(); tracesView(); positionView();
  }

  function budgetSelect(id, key) {
    var s = $(id);
    [["", "spec"], ["0", "0"], ["1", "1"], ["2", "2"], ["3", "3"]].forEach(function (o) { s.appendChild(el("option", {value: o[0], text: o[1]})); });
    s.value = P[key];
    s.addEventListener("change", function () { P[key] = s.value; P.follow = null; openSpec([], []); });
  }

  function openSpec(run, future) {
    P.traces = null;
    return backend.info().then(function (info) {
      P.info = info;
      if (P.loss === "" && P.dup === "") loadTraces();
      else P.traces = "ask";  // other budgets: the checker runs only when asked (it may take seconds)
      return go(run, future);
    }).catch(function (e) { showError(e.message); });
  }

  function start() {
    var q = readAddress();
    P.lang = q.get("lang") === "zh" ? "zh" : "en";
    P.loss = q.get("loss") || ""; P.dup = q.get("dup") || "";
    if (BOOT.mode === "static") {
      document.body.className = "static";
      P.spec = BOOT.spec.name;
      $("spec-pick").hidden = true;
    } else {
      P.spec = q.get("spec") || BOOT.default_spec || BOOT.specs[0];
      var sel = $("spec-select");
      BOOT.specs.forEach(function (n) { sel.appendChild(el("option", {value: n, text: n})); });
      sel.value = P.spec;
      sel.addEventListener("change", function () { P.spec = sel.value; P.follow = null; openSpec([], []); });
    }
    budgetSelect("loss-select", "loss"); budgetSelect("dup-select", "dup");
    $("back").addEventListener("click", back);
    $("forward").addEventListener("click", forward);
    $("restart").addEventListener("click", restart);
    $("export-svg").addEventListener("click", exportSvg);
    $("export-png").addEventListener("click", exportPng);
    $("export-json").addEventListener("click", exportJson);
    Array.prototype.forEach.call(document.querySelectorAll("#langs button"), function (b) {
      b.addEventListener("click", function () { P.lang = b.getAttribute("data-lang"); if (P.view) { render(); writeAddress(); } });
    });
    document.addEventListener("keydown", function (ev) {
      if (ev.target && ev.target.tagName === "SELECT") return;
      if (ev.key === "ArrowLeft") back(); else if (ev.key === "ArrowRight") forward();
    });
    var trace = q.get("trace");
    if (trace) {
      P.traces = null;
      backend.info().then(function (info) {
        P.info = info;
        return backend.traces();
      }).then(function (ts) {
        P.traces = ts;
        var t = ts.filter(function (x) { return x.name === trace; })[0];
        if (!t) throw new Error("trace: no counterexample or witness named " + trace);
        var k = q.has("step") ? Math.min(parseInt(q.get("step"), 10) || 0, t.run.length) : t.run.length;
        return openTrace(t, k);
      }).catch(function (e) { showError(e.message); });
    } else {
      var run = (q.get("run") || "").split(".").filter(function (x) { return x !== ""; }).map(Number);
      openSpec(run, []);
    }
  }
  start();
})();
