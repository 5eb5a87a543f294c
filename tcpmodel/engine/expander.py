"""Expansion on a second core: a forked process runs a vectorised view's ``expand`` while the
explorer looks the previous chunk's successors up in its visited table.

Why a process and not a thread: numpy lets go of the GIL inside its loops, but both halves of
the work run many small numpy calls and Python between them (the model's rules for components
met for the first time), so two threads mostly took turns (1.05-1.4x on the 21.6 M-state
configuration, varying from run to run). A process has its own interpreter. What crosses
between the two per chunk is small: the keys to expand (8 B a state), the successor counts
and keys (8 B a state, 8 B a transition), the action ids when edges are kept, and whatever
the view learned for the first time (a few new components a chunk).

The child owns the view's memo tables from the fork on; the parent keeps a mirror that can
decode keys, evaluate predicates and name actions: the view's ``changes(mark)`` says what the
child learned since ``mark`` (``mark()``), and the parent's ``absorb(changes)`` learns it, in
the same order, so that ids mean the same in both processes. The child expands the chunks in
the order the parent sends them, which is the order the one-process loop expands them in: the
numbering, the graph and every verdict are the same (``tests/test_vector.py`` compares them).
"""

from __future__ import annotations

import multiprocessing
import pickle
import signal

import numpy as np

from ..errors import ModelDefinitionError


def can_fork() -> bool:
    """Whether a child process can be forked here (Linux, the BSDs; not Windows)."""
    return "fork" in multiprocessing.get_all_start_methods()


class ChildExpander:
    """``submit(keys, with_actions)`` then ``result()`` (in the order submitted): a view's
    ``expand`` run in a forked child process. The view must offer ``mark()``,
    ``changes(mark)`` and ``absorb(changes)`` (see the module's docstring)."""

    def __init__(self, vector):
        context = multiprocessing.get_context("fork")
        self.vector = vector
        self.conn, child_end = context.Pipe()
        self.process = context.Process(target=_serve, args=(vector, child_end), name="tcpmodel-expand", daemon=True)
        self.process.start()
        child_end.close()
        self.pending = []  # with_actions of each chunk submitted and not yet collected

    @property
    def pid(self) -> int:
        return self.process.pid

    def submit(self, keys: np.ndarray, with_actions: bool):
        self.conn.send(with_actions)
        self.conn.send_bytes(np.ascontiguousarray(keys, dtype=np.uint64))
        self.pending.append(with_actions)

    def result(self):
        """``(counts, targets, action_ids)`` of the oldest chunk submitted; the view's own
        exception if it raised (after the parent's mirror has learned what came before it)."""
        with_actions = self.pending.pop(0)
        try:
            kind, payload, changes = self.conn.recv()
        except (EOFError, OSError):
            self.process.join(1.0)
            code = self.process.exitcode
            if code == -signal.SIGKILL:  # what the kernel does to a process when memory runs out
                raise MemoryError("the expanding process was killed (out of memory?)") from None
            raise ModelDefinitionError(f"the expanding process ended unexpectedly (exit code {code})") from None
        self.vector.absorb(changes)
        if kind == "error":
            raise payload
        counts = np.frombuffer(self.conn.recv_bytes(), dtype=np.int64)
        targets = np.frombuffer(self.conn.recv_bytes(), dtype=np.uint64)
        action_ids = np.frombuffer(self.conn.recv_bytes(), dtype=np.int64) if with_actions else None
        return counts, targets, action_ids

    def close(self):
        """Collect what is still in flight (the mirror learns it: the parent's view stays the
        child's), then end the child."""
        try:
            while self.pending:
                try:
                    self.result()
                except Exception:
                    pass
            self.conn.send(None)
        except (OSError, EOFError):
            pass
        self.process.join(5.0)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


def _serve(vector, conn):
    """The child: expand each chunk of keys received, send back the successors and what the
    view learned; end on None or when the parent is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    mark = vector.mark()
    while True:
        try:
            with_actions = conn.recv()
            if with_actions is None:
                return
            keys = np.frombuffer(conn.recv_bytes(), dtype=np.uint64)
        except (EOFError, OSError):
            return
        try:
            counts, targets, action_ids = vector.expand(keys, with_actions)
        except BaseException as exc:  # the parent reports it as the one-process loop would
            changes, mark = vector.changes(mark), vector.mark()
            try:
                pickle.dumps(exc)
            except Exception:
                exc = ModelDefinitionError(f"{type(exc).__name__}: {exc}")
            conn.send(("error", exc, changes))
            continue
        changes, mark = vector.changes(mark), vector.mark()
        conn.send(("ok", None, changes))
        conn.send_bytes(np.ascontiguousarray(counts, dtype=np.int64))
        conn.send_bytes(np.ascontiguousarray(targets, dtype=np.uint64))
        if with_actions:
            conn.send_bytes(np.ascontiguousarray(action_ids, dtype=np.int64))
