"""The TCP model's compact view expanded a chunk of states at a time, by numpy.

:class:`~tcpmodel.tcp.model.CompactTcp` packs a global state into an int of interned component
ids and memoises every component transition (a user call or a timeout on one TCB, the arrivals
of one channel's segments at one TCB, a tick, a loss, a duplication: RFC 9293 §3.10 makes each
event depend on one or two components). Expanding one state there is still a few dozen Python
operations. Here the same memo tables are mirrored in numpy arrays -- rows of outcomes by TCB id,
by channel id, or by a (TCB, channel) or (channel, sent segments) pair through an exact
:class:`~tcpmodel.engine.visited.KeyTable` -- and a whole chunk of keys (a uint64 array) is
expanded by gathers and shifts. Python runs only where a component or a pair is met for the
first time: the model's own per-endpoint rules compute it (through ``CompactTcp``), and the
outcome is copied into the arrays.

The successors come in exactly the order of ``CompactTcp.successors`` (user calls of the
client, then of the server; arrivals on c2s, then s2c; timeouts; the tick; losses c2s, s2c;
duplications c2s, s2c), so the explorer numbers states as the one-state-at-a-time loops do;
``tests/test_vector.py`` compares the two on every shipped spec.

Offered only while a key fits in 64 bits with the s2c field as wide as the c2s one
(``CompactTcp.vector``); a wider configuration is explored by the one-at-a-time loops.
"""

from __future__ import annotations

import numpy as np

from ..engine.visited import KeyTable
from .actions import TICK
from .tcb import C2S, CLIENT, COMPONENT_FORMS, S2C, SERVER

_U = np.uint64


class _Rows:
    """Memoised outcomes: for an index (a component id, or the row number of a pair) a run of
    rows in ``pool`` (one numpy row per field of an outcome), from ``start[i]`` for
    ``count[i]`` rows; ``count[i] == -1`` until the outcomes of ``i`` are computed."""

    # int32 throughout: ids, row positions and counts fit, and a FIFO network with MSL >= 2
    # has a channel (with rows in five of these tables) for every dozen states.
    def __init__(self, fields: int):
        self.start = np.zeros(256, dtype=np.int32)
        self.count = np.full(256, -1, dtype=np.int32)
        self.pool = np.zeros((fields, 1024), dtype=np.int32)
        self.size = 0
        self.numbered = 0  # indexes handed out, where they are row numbers of pairs

    def cover(self, n: int):
        """Make room for indexes below ``n``."""
        have = len(self.count)
        if n > have:
            size = max(n, 2 * have)
            self.start = np.concatenate([self.start, np.zeros(size - have, dtype=np.int32)])
            self.count = np.concatenate([self.count, np.full(size - have, -1, dtype=np.int32)])

    def missing(self, idx: np.ndarray) -> np.ndarray:
        """The distinct indexes of ``idx`` whose outcomes are not computed yet."""
        gaps = idx[self.count[idx] < 0]
        return np.unique(gaps) if len(gaps) else gaps

    def put(self, indexes, outcomes):
        """Store ``outcomes[k]`` (a list of equal-length tuples of ints) for ``indexes[k]``."""
        flat = [row for rows in outcomes for row in rows]
        need = self.size + len(flat)
        if need > self.pool.shape[1]:
            bigger = np.zeros((self.pool.shape[0], max(need, 2 * self.pool.shape[1])), dtype=np.int32)
            bigger[:, :self.size] = self.pool[:, :self.size]
            self.pool = bigger
        if flat:
            self.pool[:, self.size:need] = np.array(flat, dtype=np.int32).T
        counts = np.array([len(rows) for rows in outcomes], dtype=np.int32)
        indexes = np.asarray(indexes, dtype=np.int64)
        self.start[indexes] = self.size + np.cumsum(counts) - counts
        self.count[indexes] = counts
        self.size = need

    def gather(self, idx: np.ndarray):
        """``(src, fields)``: for every outcome of every index in ``idx`` (in order), the
        position in ``idx`` it belongs to, and its fields (a 2-d int64 array, one row per field)."""
        counts = self.count[idx].astype(np.int64)
        total = int(counts.sum())
        src = np.repeat(np.arange(len(idx)), counts)
        first = np.cumsum(counts) - counts
        pos = np.arange(total) - np.repeat(first - self.start[idx], counts)
        return src, self.pool[:, pos].astype(np.int64)


class VectorTcp:
    """``expand(keys)`` for the explorer: the successors of a uint64 array of
    :class:`CompactTcp` keys, in the order of ``CompactTcp.successors``."""

    def __init__(self, compact):
        self.compact = compact
        c = compact
        self.tm, self.cm = _U(c.tcb_mask), _U(c.channel_mask)
        self.client_at, self.server_at = _U(c.client_at), _U(c.server_at)
        self.c2s_at, self.s2c_at = _U(c.c2s_at), _U(c.s2c_at)
        self.channel_bits, self.sent_bits = c.channel_bits, c.sent_bits
        full = (1 << 64) - 1
        tcb_field = lambda at: c.tcb_mask << at  # noqa: E731
        chan_field = lambda at: c.channel_mask << at  # noqa: E731
        # What each kind of event leaves untouched: the key with its changed fields cleared.
        self.keep_client_side = _U(full & ~(tcb_field(c.client_at) | chan_field(c.c2s_at)))
        self.keep_server_side = _U(full & ~(tcb_field(c.server_at) | chan_field(c.s2c_at)))
        self.keep_on_c2s_arrival = _U(full & ~(tcb_field(c.server_at) | chan_field(c.c2s_at) | chan_field(c.s2c_at)))
        self.keep_on_s2c_arrival = _U(full & ~(tcb_field(c.client_at) | chan_field(c.s2c_at) | chan_field(c.c2s_at)))
        self.keep_but_c2s = _U(full & ~chan_field(c.c2s_at))
        self.keep_but_s2c = _U(full & ~chan_field(c.s2c_at))
        self.faults_mask = _U((1 << c.client_at) - 1)
        # Memo tables mirrored from CompactTcp (filled as components are met).
        self.user = (_Rows(3), _Rows(3))  # per side, by TCB id: (TCB id, sent id, action id)
        self.timeouts = (_Rows(3), _Rows(3))
        self.arrival_rows = (_Rows(4), _Rows(4))  # per direction: (TCB id, rest id, sent id, action id)
        self.arrival_index = (KeyTable(True), KeyTable(True))  # (TCB id, channel id) -> row number
        self.lost = (_Rows(2), _Rows(2))  # per direction, by channel id: (channel id, action id)
        self.duplicated = (_Rows(2), _Rows(2))
        self.tick_rows = _Rows(3)  # by TCB id: (TCB id after the tick, a timer expired, a timer runs)
        self.aged_rows = _Rows(1)  # by channel id: the channel after the tick
        self.inserted = KeyTable(True)  # channel id << sent_bits | sent id -> channel id
        self.none_at_limit = np.zeros(0, dtype=bool)
        self.facts = {}  # (component fact, its intern table) -> bool array by id
        self.actions = []
        self.action_ids = {}
        self.tick_id = self.action_id(TICK)
        # The fault budgets: (field position, mask, one unit, CompactTcp's rule, our table).
        self.budgets = ((_U(c.loss_at), _U(c.loss_mask), _U(c.loss_one), c._losses, self.lost),
                        (_U(c.dup_at), _U(c.dup_mask), _U(c.dup_one), c._duplications, self.duplicated))

    # ------------------------------------------------------------------ a mirror in another process
    # The explorer may run expand() in a forked process (engine/expander.py); this process
    # then keeps a mirror that decodes keys, evaluates predicates and names actions. What
    # the child interned since a mark travels back, and the mirror interns it in the same
    # order, so that every id means the same in both.
    def mark(self):
        """How much has been interned so far (for :meth:`changes`)."""
        c = self.compact
        return len(c.tcbs), len(c.channels), len(c.sents), len(self.actions)

    def changes(self, mark):
        """What was interned since ``mark``, and the model's key widths (a ViewFull in
        the child has widened them): picklable, for :meth:`absorb`."""
        c = self.compact
        tcbs, channels, sents, actions = mark
        return (c.tcbs[tcbs:], c.channels[channels:], c.sents[sents:], self.actions[actions:],
                dict(c.model._key_widths))

    def absorb(self, changes):
        """Intern what another copy of this view interned (:meth:`changes`), in its order."""
        tcbs, channels, sents, actions, widths = changes
        c = self.compact
        for tcb in tcbs:
            c.tcb_id(tcb)
        for chan in channels:
            c.channel_id(chan)
        for segs in sents:
            c.sent_id(segs)
        for action in actions:
            self.action_id(action)
        model = c.model
        if widths != model._key_widths:  # the child outgrew this view: the next one is wider
            model._key_widths = widths
            model._compact = None

    # ------------------------------------------------------------------ memo tables
    def action_id(self, action) -> int:
        i = self.action_ids.get(action)
        if i is None:
            i = self.action_ids[action] = len(self.actions)
            self.actions.append(action)
        return i

    def action(self, i: int):
        """The action of an action id."""
        return self.actions[i]

    def _moves(self, rows, side, table, compute, ids):
        """Make sure ``rows`` (user calls or timeouts of ``side``) holds every TCB id in ``ids``."""
        rows.cover(len(self.compact.tcbs))
        todo = rows.missing(ids)
        if len(todo):
            aid = self.action_id
            outcomes = []
            for i in todo.tolist():
                moves = table[side][i]
                if moves is None:
                    moves = compute(side, i)
                outcomes.append([(t, sent, aid(action)) for action, t, sent in moves])
            rows.put(todo, outcomes)

    def _channel_moves(self, rows, direction, compute, ids):
        """Make sure ``rows`` (losses or duplications on ``direction``) holds every channel in
        ``ids`` (computed by CompactTcp, not memoised there: the numpy copy is the memo)."""
        rows.cover(len(self.compact.channels))
        todo = rows.missing(ids)
        if len(todo):
            aid = self.action_id
            rows.put(todo, [[(chan, aid(action)) for action, chan in compute(direction, i)] for i in todo.tolist()])

    def _arrivals(self, direction, tcb_ids, chan_ids):
        """Row numbers of the arrivals of ``chan_ids`` at ``tcb_ids`` (RFC 9293 §3.10.7),
        computed by CompactTcp for pairs met for the first time."""
        index = self.arrival_index[direction]
        pairs = tcb_ids << self.channel_bits | chan_ids
        rows = index.get(pairs)
        gaps = rows < 0
        if gaps.any():
            c = self.compact
            new_pairs = np.unique(pairs[gaps])
            table = self.arrival_rows[direction]
            first = table.numbered
            numbers = np.arange(first, first + len(new_pairs), dtype=np.int64)
            table.numbered = first + len(new_pairs)
            table.cover(table.numbered)
            aid = self.action_id
            mask = (1 << self.channel_bits) - 1
            outcomes = []
            for p in new_pairs.tolist():
                arrivals = c._arrivals(direction, p >> self.channel_bits, p & mask)
                outcomes.append([(t, rest, sent, aid(action)) for action, t, rest, sent in arrivals])
            table.put(numbers, outcomes)
            index.insert(new_pairs, numbers)
            rows = index.get(pairs)
        return rows

    def _insert(self, chans, sent):
        """The channels ``chans`` with the sent segments ``sent`` added (unchanged where
        ``sent`` is 0), through CompactTcp's memo for pairs met for the first time."""
        some = np.flatnonzero(sent)
        if not len(some):
            return chans
        pairs = chans[some] << self.sent_bits | sent[some]
        got = self.inserted.get(pairs)
        gaps = got < 0
        if gaps.any():
            c = self.compact
            new_pairs = np.unique(pairs[gaps])
            mask = (1 << self.sent_bits) - 1
            made = [c._inserted(p >> self.sent_bits, p & mask) for p in new_pairs.tolist()]
            self.inserted.insert(new_pairs, np.array(made, dtype=np.int64))
            got = self.inserted.get(pairs)
        out = chans.copy()
        out[some] = got
        return out

    @staticmethod
    def _single(rows, ids, known, compute):
        """The one outcome of each id in ``ids`` (fields by row), computed by ``compute(id)``
        (a tuple of ints) for the ids met for the first time; ``known``: how many ids exist."""
        rows.cover(known)
        todo = rows.missing(ids)
        if len(todo):
            rows.put(todo, [[compute(i)] for i in todo.tolist()])
        return rows.pool[:, rows.start[ids]].astype(np.int64)

    def _ticks(self, tcb_ids):
        """(TCB id after a tick, a timer has expired, a timer runs) of each TCB, by row."""
        c = self.compact

        def tick(i):
            t, expired, running = c.ticked[i] or c._tick_tcb(i)
            return t, int(expired), int(running)

        return self._single(self.tick_rows, tcb_ids, len(c.tcbs), tick)

    def _aged(self, chan_ids):
        """Each channel after a tick (its segments one tick older)."""
        c = self.compact
        return self._single(self.aged_rows, chan_ids, len(c.channels), lambda i: (c._aged(i),))[0]

    # ------------------------------------------------------------------ state predicates
    def evaluate(self, predicate, keys: np.ndarray):
        """``predicate`` on the states of ``keys`` as a bool array, or None when it has no
        component form (``tcb.COMPONENT_FORMS``): then the caller decodes each state."""
        form = COMPONENT_FORMS.get(predicate)
        if form is None:
            return None
        c = self.compact
        fields = ((form.client, self.client_at, self.tm, c.tcbs), (form.server, self.server_at, self.tm, c.tcbs),
                  (form.c2s, self.c2s_at, self.cm, c.channels), (form.s2c, self.s2c_at, None, c.channels))
        out = None
        for fact, at, mask, table in fields:
            if fact is None:
                continue
            ids = keys >> at if mask is None else keys >> at & mask
            value = self._fact_table(fact, table)[ids.view(np.int64)]
            out = value if out is None else (out & value if form.all else out | value)
        if out is None:
            out = np.full(len(keys), form.all, dtype=bool)
        return ~out if form.negate else out

    def _fact_table(self, fact, components):
        """``fact`` of every interned component so far, as a bool array by id (extended as
        components are interned; components never change)."""
        table = self.facts.get((fact, id(components)))
        if table is None or len(table) < len(components):
            have = 0 if table is None else len(table)
            more = np.fromiter((bool(fact(x)) for x in components[have:]), dtype=bool, count=len(components) - have)
            table = more if table is None else np.concatenate([table, more])
            self.facts[(fact, id(components))] = table
        return table

    # ------------------------------------------------------------------ expansion
    def _endpoint(self, rows, side, table, compute, tcbs, chans, keys, sel, tcb_at, chan_at, keep):
        """Successors by one endpoint's own moves (user calls or timeouts): its TCB (field at
        ``tcb_at``) and its outgoing channel (at ``chan_at``) change."""
        idx = tcbs if sel is None else tcbs[sel]
        self._moves(rows, side, table, compute, idx)
        src, (t, sent, aid) = rows.gather(idx)
        if sel is not None:
            src = sel[src]
        chan = self._insert(chans[src], sent)
        key = keys[src] & keep | t.view(_U) << tcb_at | chan.view(_U) << chan_at
        return src, key, aid

    def _arrive(self, direction, receivers, incoming, outgoing, keys, tcb_at, in_at, out_at, keep):
        """Successors by a segment of ``direction`` arriving: the receiver's TCB and both
        channels change."""
        sel = np.flatnonzero(incoming)
        rows = self._arrivals(direction, receivers[sel], incoming[sel])
        src, (t, rest, sent, aid) = self.arrival_rows[direction].gather(rows)
        src = sel[src]
        out = self._insert(outgoing[src], sent)
        key = keys[src] & keep | t.view(_U) << tcb_at | rest.view(_U) << in_at | out.view(_U) << out_at
        return src, key, aid

    def expand(self, keys: np.ndarray, with_actions: bool = False):
        """``(counts, targets, action_ids)`` for a uint64 array of keys: the number of
        successors of each key, all successors' keys in order (the successors of ``keys[0]``
        first, each key's in the order of ``CompactTcp.successors``), and their action ids
        (:meth:`action`) when ``with_actions``, else None."""
        c = self.compact
        n = len(keys)
        tm, cm = self.tm, self.cm
        clients = (keys >> self.client_at & tm).view(np.int64)
        servers = (keys >> self.server_at & tm).view(np.int64)
        c2s = (keys >> self.c2s_at & cm).view(np.int64)
        s2c = (keys >> self.s2c_at).view(np.int64)
        have = len(self.none_at_limit)
        if have < len(c.channels):
            self.none_at_limit = np.concatenate([self.none_at_limit, np.array(c.none_at_limit[have:], dtype=bool)])
        parts = []
        # User calls (RFC 9293 §3.10.1-§3.10.5), client then server.
        parts.append(self._endpoint(self.user[CLIENT], CLIENT, c.user_moves, c._user, clients, c2s, keys, None,
                                    self.client_at, self.c2s_at, self.keep_client_side))
        parts.append(self._endpoint(self.user[SERVER], SERVER, c.user_moves, c._user, servers, s2c, keys, None,
                                    self.server_at, self.s2c_at, self.keep_server_side))
        # Segment arrivals (§3.10.7), c2s then s2c.
        parts.append(self._arrive(C2S, servers, c2s, s2c, keys, self.server_at, self.c2s_at, self.s2c_at,
                                  self.keep_on_c2s_arrival))
        parts.append(self._arrive(S2C, clients, s2c, c2s, keys, self.client_at, self.s2c_at, self.c2s_at,
                                  self.keep_on_s2c_arrival))
        # Timeouts (§3.10.8), unless a segment at its age limit must go first.
        quiet = self.none_at_limit[c2s] & self.none_at_limit[s2c]
        sel = None if c.closed_lifetime else np.flatnonzero(quiet)
        parts.append(self._endpoint(self.timeouts[CLIENT], CLIENT, c.timeout_moves, c._timeout, clients, c2s, keys,
                                    sel, self.client_at, self.c2s_at, self.keep_client_side))
        parts.append(self._endpoint(self.timeouts[SERVER], SERVER, c.timeout_moves, c._timeout, servers, s2c, keys,
                                    sel, self.server_at, self.s2c_at, self.keep_server_side))
        # The tick: only while something depends on time, no timer has expired unhandled and
        # no segment has reached its limit.
        q = np.flatnonzero(quiet)
        tc = self._ticks(clients[q])
        ts = self._ticks(servers[q])
        can = ((tc[1] | ts[1]) == 0) & (((c2s[q] | s2c[q]) != 0) | (tc[2] != 0) | (ts[2] != 0))
        src = q[can]
        key = (keys[src] & self.faults_mask | tc[0][can].view(_U) << self.client_at
               | ts[0][can].view(_U) << self.server_at | self._aged(c2s[src]).view(_U) << self.c2s_at
               | self._aged(s2c[src]).view(_U) << self.s2c_at)
        parts.append((src, key, np.full(len(src), self.tick_id, dtype=np.int64)))
        # Faults: lose or duplicate one segment, within the budgets.
        for at, mask, one, compute, rows in self.budgets:
            sel = np.flatnonzero(keys >> at & mask)
            if not len(sel):
                continue
            spent = keys[sel] - one
            for direction, chans, keep, chan_at in ((C2S, c2s, self.keep_but_c2s, self.c2s_at),
                                                    (S2C, s2c, self.keep_but_s2c, self.s2c_at)):
                idx = chans[sel]
                self._channel_moves(rows[direction], direction, compute, idx)
                local, (chan, aid) = rows[direction].gather(idx)
                parts.append((sel[local], spent[local] & keep | chan.view(_U) << chan_at, aid))
        return _merge(parts, n, with_actions)


def _merge(parts, n, with_actions):
    """Interleave the per-kind successor lists into one list ordered by source state, each
    source's successors kind by kind (``parts`` is in the model's order of kinds)."""
    counts = [np.bincount(src, minlength=n) for src, _, _ in parts]
    total = np.sum(counts, axis=0) if counts else np.zeros(n, dtype=np.int64)
    base = np.cumsum(total) - total
    m = int(total.sum())
    targets = np.empty(m, dtype=np.uint64)
    actions = np.empty(m, dtype=np.int64) if with_actions else None
    for (src, key, aid), cnt in zip(parts, counts):
        if not len(src):
            continue
        first = np.cumsum(cnt) - cnt
        pos = base[src] + np.arange(len(src)) - first[src]
        targets[pos] = key
        if with_actions:
            actions[pos] = aid
        base += cnt
    return total, targets, actions
