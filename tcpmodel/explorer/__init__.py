"""The interactive explorer (issue 12): play a spec step by step in the browser.

    tcpmodel explore [SPEC]            a local web app on 127.0.0.1 (a free port)
    tcpmodel explore SPEC --static F   one self-contained HTML file for small specs

A run is addressed by the spec and one action index per step; :func:`explorer_link` builds
the address of a run or of a counterexample/witness at a given step.
"""

from .server import ExplorerServer
from .session import Catalogue, ExplorerError, SpecSession, explorer_link, format_run, parse_run
from .static import STATIC_MAX_STATES, write_static

__all__ = ["Catalogue", "ExplorerError", "ExplorerServer", "STATIC_MAX_STATES", "SpecSession", "explorer_link",
           "format_run", "parse_run", "write_static"]
