"""Turns results (traces, lassos, state graphs) into Graphviz graphs and reports.

The only package that imports graphviz.
"""

from .lesson import write_lesson
from .outputs import Written, write_outputs

__all__ = ["Written", "write_lesson", "write_outputs"]
