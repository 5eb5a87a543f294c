"""The one exception base of tcpmodel.

Every error the package raises on purpose derives from :class:`TcpModelError`, so a caller
(the CLI above all) can catch one class and print one clear line.
"""


class TcpModelError(Exception):
    """Base of every error tcpmodel raises on purpose."""


class ModelDefinitionError(TcpModelError):
    """A model or property breaks the engine's contract (named in the message).

    Raised before exploration when it can be seen then, else as soon as the breach shows;
    ``result`` then holds the verdicts decided before it (an incomplete result), else None.
    """

    result = None


class ViewFull(ModelDefinitionError):
    """A model's compact view ran out of room for new component ids (a fixed-width key field).

    The model has already widened its next view (``model.compact()`` returns a wider one);
    the engine explores again on it. Raised to the caller only when the model cannot widen
    any further.
    """


class ReplayError(TcpModelError):
    """A counterexample did not replay through the model: the model is not deterministic."""


class SpecError(TcpModelError):
    """A spec file is malformed: names the file, the key and what is allowed."""

    def __init__(self, path, key, message):
        self.path = str(path)
        self.key = key
        self.message = message
        where = f"{self.path}: {key}: " if key else f"{self.path}: "
        super().__init__(where + message)
