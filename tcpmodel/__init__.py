"""tcpmodel: an explicit-state model checker for TCP connection management.

Layers (each imports only the ones before it): ``engine`` (generic checker), ``tcp`` (the
RFC 9293 model, faults, properties, variants), ``spec`` (specs/*.toml), ``render`` (Graphviz
and reports), ``cli`` (the only place that prints or exits).

For notebooks and tests, the one path from a spec to a result::

    from tcpmodel import load, loads, run_spec
    run = run_spec(load("specs/three_step_close.toml"))   # or loads(toml_text), from_dict(data)
    run.verdicts, run.as_expected, run.counts
"""

__version__ = "0.1.0"

_API = {"load": "spec", "loads": "spec", "from_dict": "spec", "run_spec": "run", "SpecRun": "run"}


def __getattr__(name):
    # Imported on first use, so `import tcpmodel` (and `tcpmodel --version`) stays cheap.
    if name in _API:
        import importlib

        return getattr(importlib.import_module(f".{_API[name]}", __name__), name)
    raise AttributeError(f"module 'tcpmodel' has no attribute {name!r}")


__all__ = ["__version__", *_API]
