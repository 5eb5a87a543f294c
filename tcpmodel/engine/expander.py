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
numbering, the graph and every verdict are the same (``tests/test_vector.py`` and
``tests/test_expander.py`` compare them). A chunk expanded ahead and never processed (the run
stopped first) is dropped with the child, unlearned: the parent's view is then the one a
one-process run stopped at the same chunk has, and so is the model for a second run.

Hygiene: the child holds no copy of the parent's end of the pipe (it reads end-of-file, and
ends, when the parent dies however it dies), ignores Ctrl-C (the parent's to handle: SIGINT is
blocked across the fork, so no Ctrl-C reaches the child before it ignores it), and is killed,
not waited for, when chunks are still in flight at the end. An exception the child cannot send
intact (it does not pickle, or does not unpickle) comes as one of the same name, message and
kind; the child's traceback comes as its ``__cause__``.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import threading
import traceback

import numpy as np

from ..errors import ModelDefinitionError, TcpModelError


def can_fork() -> bool:
    """Whether a process can fork here (not on Windows): else one process, whatever was asked."""
    return "fork" in multiprocessing.get_all_start_methods()


def second_core_available() -> bool:
    """Whether this process may use a second core here (the default, ``processes=None``): fork
    exists, no other thread runs in this process (fork copies only the calling thread: a lock
    another thread holds, in the allocator, in a library, stays held in the child for ever)
    and at least two CPUs are ours."""
    if not can_fork() or threading.active_count() > 1:
        return False
    try:
        return len(os.sched_getaffinity(0)) >= 2
    except AttributeError:  # no affinity call: trust the count
        return (os.cpu_count() or 1) >= 2


class ChildExpander:
    """``submit(keys, with_actions)`` then ``result()`` (in the order submitted): a view's
    ``expand`` run in a forked child process. The view must offer ``mark()``,
    ``changes(mark)`` and ``absorb(changes)`` (see the module's docstring)."""

    def __init__(self, vector):
        context = multiprocessing.get_context("fork")
        self.vector = vector
        self.pending = []  # with_actions of each chunk submitted and not yet collected
        self.in_step = True  # False while a request or reply is half-way: cut there, the pipe is out of step
        self.peak_rss = 0  # the child's peak resident memory, read as it ends
        self.conn, child_end = context.Pipe()
        self.process = context.Process(target=_serve, args=(vector, child_end, self.conn), name="tcpmodel-expand",
                                       daemon=True)
        # SIGINT blocked across the fork: the child inherits the mask (and no pending signal)
        # and ignores Ctrl-C before it unblocks it; here a Ctrl-C waits until the fork is done.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            self.process.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            child_end.close()

    @property
    def pid(self) -> int:
        return self.process.pid

    def submit(self, keys: np.ndarray, with_actions: bool):
        self.in_step = False  # until the whole request is written
        self.conn.send(with_actions)
        self.conn.send_bytes(np.ascontiguousarray(keys, dtype=np.uint64))
        self.pending.append(with_actions)
        self.in_step = True

    def result(self):
        """``(counts, targets, action_ids)`` of the oldest chunk submitted; the view's own
        exception if it raised (after the parent's mirror has learned what came before it)."""
        with_actions = self.pending.pop(0)
        self.in_step = False  # until the whole reply is read (an interrupt may come in between)
        try:
            kind, payload, changes = self.conn.recv()
            if kind == "ok":  # read whole before the mirror learns anything
                counts = np.frombuffer(self.conn.recv_bytes(), dtype=np.int64)
                targets = np.frombuffer(self.conn.recv_bytes(), dtype=np.uint64)
                action_ids = np.frombuffer(self.conn.recv_bytes(), dtype=np.int64) if with_actions else None
        except (EOFError, OSError):  # the child is gone, maybe half-way through a reply
            self.process.join(1.0)
            code = self.process.exitcode
            if code == -signal.SIGKILL:  # what the kernel does to a process when memory runs out
                raise MemoryError("the expanding process was killed (out of memory?)") from None
            raise ModelDefinitionError(f"the expanding process ended unexpectedly (exit code {code})") from None
        self.in_step = True
        self.vector.absorb(changes)
        if kind == "error":
            exc, child_traceback = payload
            if isinstance(exc, _Unsent):
                exc = exc.rebuilt()
            exc.__cause__ = _ChildTraceback(child_traceback)
            raise exc
        return counts, targets, action_ids

    def close(self):
        """End the child. Chunks still in flight (expanded ahead for a run that stopped first)
        are dropped unread and the child killed at once: what it learned in them stays
        unlearned here, as in a one-process run, and no Ctrl-C waits for them. Its peak
        resident memory is read first (``peak_rss``)."""
        self.peak_rss = _peak_of(self.process.pid)
        try:
            if self.pending or not self.in_step:
                self.process.kill()
            else:
                try:
                    self.conn.send(None)
                except OSError:
                    pass
            self.process.join(5.0)
        finally:
            if self.process.exitcode is None:
                self.process.kill()
                self.process.join()
            self.conn.close()
            self.pending = []


def _peak_of(pid) -> int:
    """A live process's peak resident memory in bytes (VmHWM; 0 where /proc has none)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


class _ChildTraceback(Exception):
    """The traceback of an exception raised in the child (the ``__cause__`` of the one the
    parent raises), as ``concurrent.futures`` shows a worker's."""

    def __str__(self):
        return "\n\n" + self.args[0]


class _Unsent:
    """An exception that does not cross the pipe intact (it does not pickle, or does not
    unpickle: a class defined in a function, an ``__init__`` whose arguments are not its
    ``args``), as its class name, its message and the kind of error it is."""

    KINDS = (("TcpModelError", TcpModelError), ("MemoryError", MemoryError), ("KeyboardInterrupt", KeyboardInterrupt),
             ("Exception", Exception), ("BaseException", BaseException))

    def __init__(self, exc):
        self.name = type(exc).__name__
        self.text = str(exc)
        self.kind = next(name for name, cls in self.KINDS if isinstance(exc, cls))

    def rebuilt(self) -> BaseException:
        """An exception of the same name and kind, with the same message."""
        return type(self.name, (dict(self.KINDS)[self.kind],), {"__module__": __name__})(self.text)


def _portable(exc):
    """``exc`` if it crosses the pipe intact, else an :class:`_Unsent` standing for it."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return _Unsent(exc)


def _serve(vector, conn, parent_end):
    """The child: expand each chunk of keys received, send back the successors and what the
    view learned; end on None or when the parent is gone."""
    parent_end.close()  # else the parent's death would never show here as end-of-file
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
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
                text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            except Exception:  # out of memory, say: the error itself matters more
                text = f"{type(exc).__name__} (no traceback)"
            reply = [("error", (_portable(exc), text), changes)]
        else:
            changes, mark = vector.changes(mark), vector.mark()
            reply = [("ok", None, changes), counts.astype(np.int64, copy=False), targets.astype(np.uint64, copy=False)]
            if with_actions:
                reply.append(action_ids.astype(np.int64, copy=False))
        try:
            conn.send(reply[0])
            for array in reply[1:]:
                conn.send_bytes(np.ascontiguousarray(array))
        except OSError:  # the parent is gone (or has stopped reading): nothing more to do
            return
