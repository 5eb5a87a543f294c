"""Small models whose answers are known independently of the engine.

Every model is a plain class with ``init_states()`` and ``successors(state)`` returning a list
of ``(action, next_state)`` in a fixed order; some have ``is_terminal(state)``. States are
plain tuples. Nothing here imports the engine: the reference explorers in ``reference.py``
and the tests' own reasoning give the expected answers.
"""

from __future__ import annotations


# --------------------------------------------------------------------------------------------
# Mutual exclusion


class Peterson:
    """Peterson's algorithm for two processes.

    State ``(pc0, pc1, flag0, flag1, turn)``. Program counter of process i:
    0 non-critical, 1 flag raised, 2 turn given away (waiting), 3 critical section.

        0 --want-->  flag[i] := 1                     (pc 1)
        1 --yield--> turn := 1 - i                    (pc 2)
        2 --enter--> if flag[j] == 0 or turn == i     (pc 3)   (blocked otherwise)
        3 --exit-->  flag[i] := 0                     (pc 0)
    """

    def init_states(self):
        return [(0, 0, 0, 0, 0)]

    def successors(self, s):
        pcs, flags, turn = [s[0], s[1]], [s[2], s[3]], s[4]
        out = []
        for i in (0, 1):
            j = 1 - i
            pc = pcs[i]
            npcs, nflags, nturn = list(pcs), list(flags), turn
            if pc == 0:
                action, npcs[i], nflags[i] = "want", 1, 1
            elif pc == 1:
                action, npcs[i], nturn = "yield", 2, j
            elif pc == 2:
                if not (flags[j] == 0 or turn == i):
                    continue
                action, npcs[i] = "enter", 3
            else:
                action, npcs[i], nflags[i] = "exit", 0, 0
            out.append((f"p{i}:{action}", (npcs[0], npcs[1], nflags[0], nflags[1], nturn)))
        return out


def peterson_mutex(s):
    return not (s[0] == 3 and s[1] == 3)


class NaiveLock:
    """Test-then-set done in two separate steps, which is not atomic.

    State ``(pc0, pc1, flag)``. Process i:
        0 --read_free--> if flag == 0                 (pc 1)
        0 --read_busy--> if flag == 1, spin           (pc 0: a self-loop)
        1 --set-->       flag := 1                    (pc 2)
        2 --enter-->                                  (pc 3: critical section)
        3 --exit-->      flag := 0                    (pc 0)
    """

    def init_states(self):
        return [(0, 0, 0)]

    def successors(self, s):
        out = []
        for i in (0, 1):
            pc, flag = s[i], s[2]
            npc = list(s[:2])
            nflag = flag
            if pc == 0:
                if flag == 0:
                    action, npc[i] = "read_free", 1
                else:
                    action = "read_busy"
            elif pc == 1:
                action, npc[i], nflag = "set", 2, 1
            elif pc == 2:
                action, npc[i] = "enter", 3
            else:
                action, npc[i], nflag = "exit", 0, 0
            out.append((f"p{i}:{action}", (npc[0], npc[1], nflag)))
        return out


def naive_mutex(s):
    return not (s[0] == 3 and s[1] == 3)


# --------------------------------------------------------------------------------------------
# Dining philosophers


class DiningPhilosophers:
    """N philosophers round a table; philosopher i's left fork is i, its right fork is (i+1) % N.

    State: the tuple of program counters, 0 thinking, 1 holding the left fork, 2 eating
    (holding both). Fork f is held by philosopher f when pc[f] >= 1, and by philosopher f-1
    when pc[f-1] == 2. Everyone takes the left fork first: all holding their left fork is a
    deadlock.
    """

    def __init__(self, n=3):
        self.n = n

    def init_states(self):
        return [(0,) * self.n]

    def fork_free(self, s, f):
        return s[f] == 0 and s[(f - 1) % self.n] != 2

    def successors(self, s):
        out = []
        n = self.n
        for i in range(n):
            pc = s[i]
            if pc == 0 and self.fork_free(s, i):
                out.append((f"p{i}:take_left", s[:i] + (1,) + s[i + 1:]))
            elif pc == 1 and self.fork_free(s, (i + 1) % n):
                out.append((f"p{i}:take_right", s[:i] + (2,) + s[i + 1:]))
            elif pc == 2:
                out.append((f"p{i}:release", s[:i] + (0,) + s[i + 1:]))
        return out


# --------------------------------------------------------------------------------------------
# Alternating-bit protocol


class AlternatingBit:
    """The alternating-bit protocol over two lossy FIFO channels of bounded capacity.

    State ``(s_next, s_bit, r_bit, delivered, msgs, acks)``:
    - sender: ``s_next`` is the index of the message it is sending (``n_msgs`` = all sent and
      acknowledged), ``s_bit`` the bit it tags it with;
    - receiver: ``r_bit`` the bit it expects next, ``delivered`` the tuple of delivered messages;
    - ``msgs``: sender->receiver channel, a tuple of ``(bit, message)``; ``acks``: the
      receiver->sender channel, a tuple of bits.

    Actions (in this order):
    - ``send``: the sender (re)sends its current message, if the channel has room;
    - ``recv``: the receiver takes the head message; it delivers it and flips ``r_bit`` when
      the bit is the expected one, else it drops it as a duplicate;
    - ``ack``: the receiver (re)sends an ack carrying the last bit it accepted;
    - ``recv_ack``: the sender takes the head ack; the right bit moves it to the next message;
    - ``lose_msg`` / ``lose_ack``: the channel loses any one message / ack.

    ``check_bit=False`` is a broken receiver that delivers every message it receives (it stops
    receiving after ``n_msgs + 1`` deliveries, which keeps the model finite).
    """

    def __init__(self, n_msgs=2, capacity=2, check_bit=True):
        self.n_msgs = n_msgs
        self.capacity = capacity
        self.check_bit = check_bit

    def init_states(self):
        return [(0, 0, 0, (), (), ())]

    def successors(self, s):
        s_next, s_bit, r_bit, delivered, msgs, acks = s
        cap = self.capacity
        out = []
        if s_next < self.n_msgs and len(msgs) < cap:
            out.append(("send", (s_next, s_bit, r_bit, delivered, msgs + ((s_bit, s_next),), acks)))
        if msgs and (self.check_bit or len(delivered) <= self.n_msgs):
            (b, m), rest = msgs[0], msgs[1:]
            if b == r_bit or not self.check_bit:
                out.append(("recv", (s_next, s_bit, 1 - b, delivered + (m,), rest, acks)))
            else:
                out.append(("recv", (s_next, s_bit, r_bit, delivered, rest, acks)))
        if len(acks) < cap:
            out.append(("ack", (s_next, s_bit, r_bit, delivered, msgs, acks + (1 - r_bit,))))
        if acks:
            b, rest = acks[0], acks[1:]
            if b == s_bit and s_next < self.n_msgs:
                out.append(("recv_ack", (s_next + 1, 1 - s_bit, r_bit, delivered, msgs, rest)))
            else:
                out.append(("recv_ack", (s_next, s_bit, r_bit, delivered, msgs, rest)))
        for k in range(len(msgs)):
            out.append(("lose_msg", (s_next, s_bit, r_bit, delivered, msgs[:k] + msgs[k + 1:], acks)))
        for k in range(len(acks)):
            out.append(("lose_ack", (s_next, s_bit, r_bit, delivered, msgs, acks[:k] + acks[k + 1:])))
        return out


def abp_in_order(s):
    """Safety: the receiver delivered exactly 0, 1, 2, ... (in order, no duplicate)."""
    delivered = s[3]
    return delivered == tuple(range(len(delivered)))


# --------------------------------------------------------------------------------------------
# Small liveness models


class CounterLoop:
    """A counter 0..3; goal is 3, the only dead end. With ``cycle``, 2 may reset to 0.

    With the cycle, ``eventually x == 3`` fails only on the cycle 0 -> 1 -> 2 -> 0: no dead end
    violates it, so a checker looking only at dead ends would say it holds.
    """

    def __init__(self, cycle=True):
        self.cycle = cycle

    def init_states(self):
        return [(0,)]

    def successors(self, s):
        x = s[0]
        out = []
        if x < 3:
            out.append(("inc", (x + 1,)))
        if x == 2 and self.cycle:
            out.append(("reset", (0,)))
        return out


class Blinker:
    """``go`` (to the goal G) is enabled only in A; A and B alternate forever.

        A --tick--> B --tock--> A,    A --go--> G (a terminal dead end)

    ``go`` is enabled infinitely often but not continuously: weak fairness on ``go`` allows
    the A/B cycle, strong fairness does not.
    """

    def init_states(self):
        return [("A",)]

    def successors(self, s):
        return {"A": [("tick", ("B",)), ("go", ("G",))], "B": [("tock", ("A",))], "G": []}[s[0]]

    def is_terminal(self, s):
        return s[0] == "G"


class Fork:
    """From the start, ``ok`` reaches the goal (``done``) and ``fail`` a dead end (``broken``)."""

    def init_states(self):
        return [("start",)]

    def successors(self, s):
        if s[0] == "start":
            return [("ok", ("done",)), ("fail", ("broken",))]
        return []

    def is_terminal(self, s):
        return s[0] == "done"


class RequestResponse:
    """Requests numbered 1..``n``; the first is always served, a later one may be dropped.

    State ``(phase, k)``: ``idle`` (k requests made so far), ``waiting`` for request k,
    ``served``, or ``lost`` (request k dropped: the server spins forever, or -- with
    ``lost_is_dead_end`` -- stops).

        idle k   --request--> waiting k+1     (k < n)
        waiting k --serve-->  served k
        waiting k --drop-->   lost k          (k >= 2)
        served k --done-->    idle k
        lost k   --spin-->    lost k          (unless lost_is_dead_end)

    ``waiting ~> served`` fails on the second request, after the trigger has held and the
    goal has been met once already.
    """

    def __init__(self, n=2, lost_is_dead_end=False):
        self.n = n
        self.lost_is_dead_end = lost_is_dead_end

    def init_states(self):
        return [("idle", 0)]

    def successors(self, s):
        phase, k = s
        if phase == "idle":
            return [("request", ("waiting", k + 1))] if k < self.n else []
        if phase == "waiting":
            out = [("serve", ("served", k))]
            if k >= 2:
                out.append(("drop", ("lost", k)))
            return out
        if phase == "served":
            return [("done", ("idle", k))]
        return [] if self.lost_is_dead_end else [("spin", ("lost", k))]

    def is_terminal(self, s):
        return s == ("idle", self.n)


class Chain:
    """0 -> 1 -> ... -> length-1 by ``inc``; the last state is a dead end (terminal if asked)."""

    def __init__(self, length, terminal_end=False):
        self.length = length
        self.terminal_end = terminal_end

    def init_states(self):
        return [(0,)]

    def successors(self, s):
        return [("inc", (s[0] + 1,))] if s[0] < self.length - 1 else []

    def is_terminal(self, s):
        return self.terminal_end and s[0] == self.length - 1


class Grid:
    """A ``width`` x ``height`` grid walked by ``right`` and ``up`` (many states per BFS level)."""

    def __init__(self, width, height):
        self.width = width
        self.height = height

    def init_states(self):
        return [(0, 0)]

    def successors(self, s):
        x, y = s
        out = []
        if x + 1 < self.width:
            out.append(("right", (x + 1, y)))
        if y + 1 < self.height:
            out.append(("up", (x, y + 1)))
        return out


class Jumps:
    """A counter 0..9 that moves by ``step`` (+1) and, from 3 and from 6, by ``jump`` (+3).

    Also a self-loop ``stay`` at 0 and two parallel ``inc``/``step`` edges 8 -> 9, so the graph
    is a real multigraph.
    """

    def init_states(self):
        return [(0,)]

    def successors(self, s):
        x = s[0]
        out = []
        if x == 0:
            out.append(("stay", (0,)))
        if x < 9:
            out.append(("step", (x + 1,)))
        if x in (3, 6):
            out.append(("jump", (x + 3,)))
        if x == 8:
            out.append(("inc", (9,)))
        return out


# --------------------------------------------------------------------------------------------
# Wrappers that misbehave on purpose


class InterruptAfter:
    """Wraps a model; the ``n``-th call of ``successors`` raises KeyboardInterrupt (once only)."""

    def __init__(self, model, n):
        self.model = model
        self.n = n
        self.calls = 0

    def init_states(self):
        return self.model.init_states()

    def successors(self, s):
        self.calls += 1
        if self.calls == self.n:
            raise KeyboardInterrupt
        return self.model.successors(s)


class Fickle:
    """A nondeterministic model: from 0 it goes to 1 the first time it is asked, to 2 afterwards.

    The explorer records 0 -> 1 -> bad; replaying the path finds 0 -> 2 instead. With
    ``relabel``, 0 always goes to 1, but 1 -> 9 is called ``bad`` the first time 1 is asked,
    ``renamed`` afterwards: the same next state under another action.
    """

    def __init__(self, relabel=False):
        self.asked = 0
        self.relabel = relabel

    def init_states(self):
        return [(0,)]

    def successors(self, s):
        if s == ((1,) if self.relabel else (0,)):
            self.asked += 1
        if s == (0,):
            return [("go", (1,) if self.relabel or self.asked == 1 else (2,))]
        if s == (1,):
            return [("bad" if self.asked == 1 or not self.relabel else "renamed", (9,))]
        return []


class TwoLoops:
    """Two loops sharing B; only C can leave for the goal G.

        A --ab--> B --ba--> A,    B --bc--> C --cb--> B,    C --go--> G (terminal)

    Strong fairness on ``go`` rules out every cycle through C but not the A/B loop; adding
    strong fairness on ``bc`` (enabled in B) rules that out too, weak fairness on ``bc`` does
    not (``bc`` is disabled in A).
    """

    def init_states(self):
        return [("A",)]

    def successors(self, s):
        return {
            "A": [("ab", ("B",))],
            "B": [("ba", ("A",)), ("bc", ("C",))],
            "C": [("cb", ("B",)), ("go", ("G",))],
            "G": [],
        }[s[0]]

    def is_terminal(self, s):
        return s[0] == "G"


class TwoRounds:
    """Fair SCCs found in two different rounds of the strong-fairness refinement.

        s --toX--> x1 --xa--> x2 --xb--> x1                      (X: fair at once)
        s --toY--> y1 --y12--> y2 --y23--> y3 --y32--> y2,  y3 --y31--> y1
        y1 --exit--> G (goal, terminal)

    Under strong fairness of ``exit`` (enabled only in y1, never taken inside Y) the SCC
    {y1, y2, y3} is unfair; dropping y1 leaves {y2, y3}, fair in the second round. Weak
    fairness of ``w`` (xa, xb, y31) is enabled everywhere in X and disabled in y2.
    """

    EDGES = {
        "s": [("toX", "x1"), ("toY", "y1")],
        "x1": [("xa", "x2")],
        "x2": [("xb", "x1")],
        "y1": [("y12", "y2"), ("exit", "G")],
        "y2": [("y23", "y3")],
        "y3": [("y32", "y2"), ("y31", "y1")],
        "G": [],
    }

    def init_states(self):
        return [("s",)]

    def successors(self, s):
        return [(a, (t,)) for a, t in self.EDGES[s[0]]]

    def is_terminal(self, s):
        return s[0] == "G"


class Segments:
    """Two segments in flight; segment 0 may be delivered and sent again forever.

    State ``(p0, p1)``, ``p`` 0 in flight, 1 delivered. ``("deliver", i)`` delivers segment i,
    ``("resend", 0)`` puts segment 0 back in flight. The goal is segment 1 delivered. One weak
    fairness over every delivery is met by delivering segment 0 again and again; per-segment
    fairness (one constraint per segment) is not.
    """

    def init_states(self):
        return [(0, 0)]

    def successors(self, s):
        out = []
        for i in (0, 1):
            if s[i] == 0:
                out.append((("deliver", i), s[:i] + (1,) + s[i + 1:]))
        if s[0] == 1 and s[1] == 0:
            out.append((("resend", 0), (0, s[1])))
        return out

    def is_terminal(self, s):
        return s[1] == 1

