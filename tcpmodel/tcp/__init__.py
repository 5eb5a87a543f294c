"""The TCP model (RFC 9293 §3.10), its network and fault model, its property catalogue and
its protocol variants. Uses the engine; never renders."""

from .config import VARIANTS, TcpConfig
from .model import TcpModel
from .properties import CATALOGUE, WITNESSES, build

__all__ = ["CATALOGUE", "TcpConfig", "TcpModel", "VARIANTS", "WITNESSES", "build"]
