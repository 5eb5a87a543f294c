"""Turns results (traces, lassos, state graphs) into Graphviz graphs and reports.

The only package that imports graphviz.
"""

from .outputs import Written, write_outputs

__all__ = ["Written", "write_outputs"]
