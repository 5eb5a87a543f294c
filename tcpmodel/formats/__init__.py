"""Public formats: the ``--json`` document (with its JSON Schema), traces in Apalache's
Informal Trace Format (ITF), the reachable graph as GraphML. Documented in docs/formats.md.

Plain data only: nothing here prints. Every document is validated against its schema before
it is returned, so a document that does not match its schema never leaves the tool.
"""

from .data import FORMAT_VERSION, action_data, segment_data, state_data
from .jsondoc import check_document, explain_document, sweep_document, validate
from .itf import trace_to_itf, write_itf
from .graphml import graph_to_networkx, write_graphml

__all__ = [
    "FORMAT_VERSION", "action_data", "check_document", "explain_document", "graph_to_networkx",
    "segment_data", "state_data", "sweep_document", "trace_to_itf", "validate", "write_graphml", "write_itf",
]
