"""tcpmodel: an explicit-state model checker for TCP connection management.

Layers (each imports only the ones before it): ``engine`` (generic checker), ``tcp`` (the
RFC 9293 model, faults, properties, variants), ``spec`` (specs/*.toml), ``render`` (Graphviz
and reports), ``cli`` (the only place that prints or exits).
"""

__version__ = "0.1.0"
