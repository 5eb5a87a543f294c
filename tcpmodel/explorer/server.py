"""The explorer's local web server: stdlib ``ThreadingHTTPServer``, bound to 127.0.0.1.

Only the app's own routes exist (no file is served from disk by its request path, so there is
no directory listing and no path traversal); every bad request gets a page or JSON document
with a 400/404/405 status and a message, never a traceback.

Routes (GET; HEAD too):
    /                       the page; ?spec=NAME&run=0.3.1 or ?spec=NAME&trace=PROP&step=K,
                            &lang=en|zh, &loss=N&dup=N (fault budgets the page may raise)
    /api/specs              the spec names
    /api/spec               ?spec=  the spec's parameters and properties
    /api/view               ?spec=&run=  the run's states, steps and enabled actions
    /api/traces             ?spec=  the checker's counterexamples and witnesses, as runs
    /export/run.json        ?spec=&run=  the run as the public trace JSON
    /export/ladder.svg|png  ?spec=&run=  the run's ladder drawn by tcpmodel.render (Graphviz)
    /export/run.itf.json    ?spec=&run=  the run in Apalache's Informal Trace Format
"""

from __future__ import annotations

import html
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Optional
from urllib.parse import parse_qs, urlsplit

from ..errors import TcpModelError
from ..tcp.text import LANGS
from .page import page_html
from .session import Catalogue, ExplorerError, parse_budget, parse_run

HOST = "127.0.0.1"
_QUERY_KEYS = {"spec", "run", "trace", "step", "lang", "loss", "dup"}


class _Handler(BaseHTTPRequestHandler):
    server_version = "tcpmodel-explorer"
    sys_version = ""
    catalogue: Catalogue = None  # set on the subclass made per server
    default_spec: str = ""
    log: Optional[Callable[[str], None]] = None

    # ------------------------------------------------------------------ plumbing
    def log_message(self, format, *args):  # noqa: A002  (the stdlib's signature)
        if self.log is not None:
            self.log(format % args)

    def _send(self, status: int, body: bytes, ctype: str, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, data, status=200, extra=()):
        self._send(status, json.dumps(data, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8", extra)

    def _error(self, status: int, message: str, api: bool):
        if api:
            self._json({"error": message, "status": status}, status)
            return
        title = {400: "Bad request", 404: "Not found", 405: "Method not allowed"}.get(status, "Error")
        body = (f"<!doctype html><html><head><meta charset='utf-8'><title>{status} {title} — tcpmodel explorer</title>"
                "<style>body{font-family:sans-serif;margin:3em;max-width:50em}code{background:#eee;padding:0 .2em}</style>"
                f"</head><body><h1>{status} {title}</h1><p class='message'>{html.escape(message)}</p>"
                "<p><a href='/'>Back to the explorer</a></p></body></html>")
        self._send(status, body.encode("utf-8"), "text/html; charset=utf-8")

    def do_GET(self):
        api = self.path.startswith("/api/") or self.path.startswith("/export/")
        try:
            self._route()
        except ExplorerError as exc:
            self._error(exc.status, str(exc), api)
        except TcpModelError as exc:  # a spec of the catalogue that does not load, etc.
            self._error(400, str(exc), api)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser went away
        except Exception as exc:  # never a traceback to the browser; the log says what
            if self.log is not None:
                self.log(f"internal error on {self.path!r}: {type(exc).__name__}: {exc}")
            self._error(500, "internal error in the explorer (see the server's log)", api)

    do_HEAD = do_GET

    def _not_allowed(self):
        self._error(405, f"{self.command} is not allowed; the explorer answers GET only", True)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed

    # ------------------------------------------------------------------ routes
    def _query(self, query: str) -> dict:
        try:
            params = parse_qs(query, keep_blank_values=True, strict_parsing=False, max_num_fields=20)
        except ValueError:
            raise ExplorerError("the query string is malformed (too many fields)") from None
        out = {}
        for key, values in params.items():
            if key not in _QUERY_KEYS:
                raise ExplorerError(f"unknown query parameter {key[:40]!r}; allowed: {', '.join(sorted(_QUERY_KEYS))}")
            if len(values) > 1:
                raise ExplorerError(f"query parameter {key!r} is given {len(values)} times")
            out[key] = values[0]
        return out

    def _session(self, q):
        name = q.get("spec") or self.default_spec
        if not name:
            raise ExplorerError("spec: missing; give ?spec=NAME")
        return self.catalogue.session(name, parse_budget("loss", q.get("loss")), parse_budget("dup", q.get("dup")))

    def _route(self):
        # Only pages asked for by this machine's own name: a web page elsewhere cannot reach
        # the explorer through a name of its own that resolves to 127.0.0.1 (DNS rebinding).
        port = self.server.server_address[1]
        host = self.headers.get("Host", "")
        if host not in (f"{HOST}:{port}", f"localhost:{port}"):
            raise ExplorerError(f"unexpected Host header {host[:60]!r}; open {HOST}:{port}", 400)
        parts = urlsplit(self.path)
        path = parts.path
        routes = {
            "/": self._page, "/index.html": self._page,
            "/api/specs": self._specs, "/api/spec": self._spec, "/api/view": self._view,
            "/api/traces": self._traces, "/export/run.json": self._export_json,
            "/export/run.itf.json": self._export_itf,
            "/export/ladder.svg": self._export_svg, "/export/ladder.png": self._export_png,
        }
        handler = routes.get(path)
        if handler is None:
            raise ExplorerError(f"no such page: {path[:100]!r}; the explorer's pages are /, /api/… and /export/…", 404)
        handler(self._query(parts.query))

    def _page(self, q):
        # Check the address before serving the page, so a bad link gets a clear error page.
        lang = q.get("lang", "en")
        if lang not in LANGS:
            raise ExplorerError(f"lang: unknown language {lang[:20]!r}; allowed: {', '.join(LANGS)}")
        if q.get("spec") or self.default_spec:
            session = self._session(q)
            if "trace" in q:
                run = session.trace_run(q["trace"])
                if "step" in q:
                    step = q["step"]
                    if not step.isdigit() or int(step) > len(run):
                        raise ExplorerError(f"step: a step of trace {q['trace']!r} from 0 to {len(run)}, got {step[:20]!r}")
            elif "step" in q:
                raise ExplorerError("step: only means something with trace=NAME")
            else:
                session.replay(parse_run(q.get("run")))
        boot = {"mode": "server", "specs": self.catalogue.names(), "default_spec": self.default_spec}
        self._send(200, page_html(boot).encode("utf-8"), "text/html; charset=utf-8")

    def _specs(self, q):
        self._json({"specs": self.catalogue.names(), "default_spec": self.default_spec})

    def _spec(self, q):
        self._json(self._session(q).info())

    def _view(self, q):
        self._json(self._session(q).view(parse_run(q.get("run"))))

    def _traces(self, q):
        session = self._session(q)
        self._json({"spec": session.spec.name, "traces": session.traces()})

    def _export_itf(self, q):
        s = self._session(q)
        self._json(s.run_itf(parse_run(q.get("run"))),
                   extra=[("Content-Disposition", f'attachment; filename="{s.spec.name}.run.itf.json"')])

    def _export_json(self, q):
        s = self._session(q)
        self._json(s.run_json(parse_run(q.get("run"))),
                   extra=[("Content-Disposition", f'attachment; filename="{s.spec.name}.run.json"')])

    def _ladder(self, q, fmt):
        from ..render.ladder import ladder  # the project's own ladder drawing

        s = self._session(q)
        run = parse_run(q.get("run"))
        trace = s.run_trace(run)
        title = f"{s.spec.name}: run {'.'.join(map(str, run)) or '(empty)'}"
        try:
            data = ladder(trace, title, outcome="none").pipe(format=fmt)
        except Exception as exc:  # Graphviz missing or failing: say so, as a 404-free error
            raise ExplorerError(f"Graphviz could not draw the ladder ({type(exc).__name__}); "
                                "the page's own SVG/PNG export works without it", 503) from None
        ctype = "image/svg+xml" if fmt == "svg" else "image/png"
        self._send(200, data, ctype, [("Content-Disposition", f'attachment; filename="{s.spec.name}.ladder.{fmt}"')])

    def _export_svg(self, q):
        self._ladder(q, "svg")

    def _export_png(self, q):
        self._ladder(q, "png")


class ExplorerServer:
    """The explorer's server. ``port=0`` picks a free port; ``url`` says which."""

    def __init__(self, catalogue: Catalogue, default_spec: str = "", port: int = 0,
                 log: Optional[Callable[[str], None]] = None):
        if default_spec:
            catalogue.spec(default_spec)  # a bad name is an error before the server starts
        handler = type("Handler", (_Handler,), {"catalogue": catalogue, "default_spec": default_spec,
                                               "log": staticmethod(log) if log else None})
        self.httpd = ThreadingHTTPServer((HOST, port), handler)
        self.httpd.daemon_threads = True
        self._thread = None

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def serve_forever(self):
        self.httpd.serve_forever(poll_interval=0.2)

    def start(self) -> "ExplorerServer":
        """Serve in a background thread (tests, screenshots)."""
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join()
            self._thread = None
        self.httpd.server_close()
