"""Monte Carlo availability: many simulated years of failures, repairs and grid outages.

Each history is one year of the model of :mod:`twin.analysis.availability.model`:

* every process (a component, or a common-cause event failing its members together)
  alternates between up and down with exponential times, starting in its steady state
  (so a short run is not biased towards a fresh plant);
* when every utility feed of a site is out, each of its generators fails to start with
  its per-demand probability, or else may fail while running (per-hour rate); either
  way it stays down until the grid is back. Meanwhile the UPS batteries carry the load
  for the site's ride-through (:attr:`ReliabilityModel.ride_through_h`): a shorter grid
  outage costs nothing;
* the state between two events is judged by the engine (services fail over as their
  mode allows), each distinct state once.

Histories come in blocks of :data:`BLOCK`; block ``b`` draws from
``numpy.random.default_rng([seed, b])`` (and ``[seed, b, 1]`` for demand failures),
vectorised over the block's histories. A run is therefore identical however its blocks
are split into shards (:func:`run_blocks` on each, :func:`merge` to combine) — the unit a
distributed engine can farm out.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from twin.analysis.availability.model import ReliabilityModel

__all__ = ["BLOCK", "HOURS_PER_YEAR", "Histories", "Walker", "blocks_for", "merge", "run_blocks"]

BLOCK = 256
"""Histories per block: the unit of seeding and sharding."""

HOURS_PER_YEAR = 8760.0

_ProgressFn = Callable[[int, int], None]


@dataclass
class Histories:
    """Per history (one simulated year) and criterion: hours down and outages begun."""

    downtime_h: np.ndarray  # (histories, criteria)
    outages: np.ndarray  # (histories, criteria), int
    states_judged: int = 0
    segments: int = 0
    """Stretches of constant state walked (what a judge-every-state run would judge)."""

    @property
    def n(self) -> int:
        return int(self.downtime_h.shape[0])


def blocks_for(years: int) -> list[range]:
    """The blocks of a run of ``years`` histories: ranges of history numbers."""
    return [range(b, min(b + BLOCK, years)) for b in range(0, years, BLOCK)]


def merge(parts: list[Histories]) -> Histories:
    """Concatenate shards (in block order)."""
    return Histories(
        np.concatenate([p.downtime_h for p in parts]),
        np.concatenate([p.outages for p in parts]),
        sum(p.states_judged for p in parts),
        sum(p.segments for p in parts),
    )


def run_blocks(
    model: ReliabilityModel,
    years: int,
    seed: int,
    blocks: range | None = None,
    progress: _ProgressFn | None = None,
) -> Histories:
    """Simulate the histories of ``blocks`` (block numbers; default: all of the run)."""
    every = blocks_for(years)
    chosen = range(len(every)) if blocks is None else blocks
    walker = Walker(model)
    parts = []
    for done, b in enumerate(chosen, 1):
        parts.append(walker.block(every[b], seed, b))
        if progress:
            progress(done, len(chosen))
    if not parts:
        n = len(model.criteria)
        return Histories(np.zeros((0, n)), np.zeros((0, n), dtype=np.int64))
    out = merge(parts)
    out.states_judged = walker.judged
    return out


# Event kinds in the walk; at equal times restores come before failures so that a
# process restored and another failed at the same instant never overlap.
_UP, _DOWN, _VISIBLE, _RUN_FAIL = 0, 1, 2, 3


class Walker:
    """Turns sampled up/down intervals into a sequence of judged states per history."""

    def __init__(self, model: ReliabilityModel) -> None:
        self.model = model
        self.processes = model.processes
        self.rate = np.array([p.rate_per_h for p in self.processes])
        self.mean = np.array([p.mean_h for p in self.processes])
        self.q = np.array([p.q for p in self.processes])
        g = model.twin.graph
        self.is_row = g.is_row
        self.feed_site = {f: s for s, feeds in enumerate(model.site_feeds) for f in feeds}
        self.n_feeds = [len(f) for f in model.site_feeds]
        self.gens_at: list[list[int]] = [[] for _ in model.site_feeds]
        for gen, site in sorted(model.generator_site.items()):
            self.gens_at[site].append(gen)
        figures = model.figures
        names = g.component_names
        self.fts = {gen: figures.fail_to_start[names[gen]].value for gen in model.generator_site}
        self.ftr = {
            gen: figures.fail_to_run_per_h[names[gen]].value for gen in model.generator_site
        }
        self.ride = model.ride_through_h
        self.state_ids: dict[tuple[frozenset[int], frozenset[int]], int] = {}
        self.state_failing = np.zeros((0, len(model.criteria)), dtype=bool)
        self.judged = 0

    # ------------------------------------------------------------------ sampling

    def _intervals(
        self, rng: np.random.Generator, n_hist: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Down intervals of every process in every history: (history, process, start,
        end), vectorised over the block."""
        n_proc = len(self.processes)
        hist = np.repeat(np.arange(n_hist), n_proc)
        proc = np.tile(np.arange(n_proc), n_hist)
        down = rng.random(hist.size) < self.q[proc]
        t = np.zeros(hist.size)
        out_h, out_p, out_s, out_e = [], [], [], []
        while hist.size:
            scale = np.where(down, self.mean[proc], 1.0 / self.rate[proc])
            duration = rng.exponential(scale)
            end = t + duration
            out_h.append(hist[down])
            out_p.append(proc[down])
            out_s.append(t[down])
            out_e.append(np.minimum(end[down], HOURS_PER_YEAR))
            alive = end < HOURS_PER_YEAR
            hist, proc, t, down = hist[alive], proc[alive], end[alive], ~down[alive]
        return (
            np.concatenate(out_h),
            np.concatenate(out_p),
            np.concatenate(out_s),
            np.concatenate(out_e),
        )

    # ------------------------------------------------------------------ one block

    def block(self, histories: range, seed: int, b: int) -> Histories:
        rng = np.random.default_rng([seed, b])
        demand_rng = np.random.default_rng([seed, b, 1])
        n_hist = len(histories)
        h, p, start, end = self._intervals(rng, n_hist)
        # events: (history, time, kind, process); sorted by history then time then kind
        ev_h = np.concatenate([h, h])
        ev_t = np.concatenate([start, end])
        ev_k = np.concatenate([np.full(h.size, _DOWN), np.full(h.size, _UP)])
        ev_p = np.concatenate([p, p])
        keep = ev_t < HOURS_PER_YEAR
        ev_h, ev_t, ev_k, ev_p = ev_h[keep], ev_t[keep], ev_k[keep], ev_p[keep]
        order = np.lexsort((ev_p, ev_k, ev_t, ev_h))
        ev_h, ev_t, ev_k, ev_p = ev_h[order], ev_t[order], ev_k[order], ev_p[order]
        bounds = np.searchsorted(ev_h, np.arange(n_hist + 1))
        seg_hist: list[int] = []
        seg_dur: list[float] = []
        seg_state: list[int] = []
        pending: dict[tuple[frozenset[int], frozenset[int]], int] = {}
        for k in range(n_hist):
            lo, hi = int(bounds[k]), int(bounds[k + 1])
            for duration, key in self._walk(
                ev_t[lo:hi].tolist(), ev_k[lo:hi].tolist(), ev_p[lo:hi].tolist(), demand_rng
            ):
                state = self.state_ids.get(key)
                if state is None:
                    state = pending.get(key)
                    if state is None:
                        state = len(self.state_ids) + len(pending)
                        pending[key] = state
                seg_hist.append(k)
                seg_dur.append(duration)
                seg_state.append(state)
        self._judge(pending)
        return self._tally(n_hist, seg_hist, seg_dur, seg_state)

    def _walk(
        self,
        times: list[float],
        kinds: list[int],
        procs: list[int],
        rng: np.random.Generator,
    ) -> list[tuple[float, tuple[frozenset[int], frozenset[int]]]]:
        """The states of one history and how long each lasts."""
        processes = self.processes
        count: dict[int, int] = {}  # component → processes holding it down
        own_rows: dict[int, int] = {}  # row → own processes down (0 or 1)
        shared: dict[int, int] = {}  # component → common-cause events holding it down
        feeds_down = [0] * len(self.n_feeds)
        spell = [0] * len(self.n_feeds)  # spell number per site (0: grid present)
        spells = 0
        hidden: set[int] = set()  # sites whose grid outage the batteries still cover
        demand_down: set[int] = set()
        dynamic: list[tuple[float, int, int, int]] = []  # (time, kind, site/gen, spell)
        segments: list[tuple[float, tuple[frozenset[int], frozenset[int]]]] = []
        now = 0.0
        i, n = 0, len(times)
        key = self._key(count, own_rows, shared, hidden, demand_down)
        while i < n or dynamic:
            if dynamic and (i >= n or dynamic[0][0] < times[i]):
                t, kind, subject, number = heapq.heappop(dynamic)
            else:
                t, kind, subject, number = times[i], kinds[i], procs[i], 0
                i += 1
            if t > now:
                segments.append((t - now, key))
                now = t
            if kind == _VISIBLE:
                if spell[subject] == number:
                    hidden.discard(subject)
            elif kind == _RUN_FAIL:
                if spell[self.model.generator_site[subject]] == number:
                    demand_down.add(subject)
            else:
                delta = 1 if kind == _DOWN else -1
                process = processes[subject]
                component_process = process.kind == "component"
                for m in process.members:
                    count[m] = count.get(m, 0) + delta
                    if component_process:
                        if self.is_row[m]:
                            own_rows[m] = own_rows.get(m, 0) + delta
                    else:
                        shared[m] = shared.get(m, 0) + delta
                    grid_site = self.feed_site.get(m)
                    if grid_site is None:
                        continue
                    if (count[m] > 0) == (count[m] - delta > 0):
                        continue  # still down (or up) for another reason
                    feeds_down[grid_site] += delta
                    if delta > 0 and feeds_down[grid_site] == self.n_feeds[grid_site]:
                        spells += 1
                        spell[grid_site] = spells
                        self._grid_lost(grid_site, t, spells, hidden, demand_down, dynamic, rng)
                    elif delta < 0 and feeds_down[grid_site] == self.n_feeds[grid_site] - 1:
                        spell[grid_site] = 0
                        hidden.discard(grid_site)
                        demand_down.difference_update(self.gens_at[grid_site])
            key = self._key(count, own_rows, shared, hidden, demand_down)
        if now < HOURS_PER_YEAR:
            segments.append((HOURS_PER_YEAR - now, key))
        return segments

    def _grid_lost(
        self,
        site: int,
        t: float,
        number: int,
        hidden: set[int],
        demand_down: set[int],
        dynamic: list[tuple[float, int, int, int]],
        rng: np.random.Generator,
    ) -> None:
        """Every feed of ``site`` is out at ``t``: generators are called on, batteries
        carry the load meanwhile."""
        ride = float(self.ride[site])
        if ride > 0:
            hidden.add(site)
            heapq.heappush(dynamic, (t + ride, _VISIBLE, site, number))
        for gen in self.gens_at[site]:
            if rng.random() < self.fts[gen]:
                demand_down.add(gen)
            elif self.ftr[gen] > 0:
                fails_at = t + float(rng.exponential(1.0 / self.ftr[gen]))
                if fails_at < HOURS_PER_YEAR:
                    heapq.heappush(dynamic, (fails_at, _RUN_FAIL, gen, number))

    def _key(
        self,
        count: dict[int, int],
        own_rows: dict[int, int],
        shared: dict[int, int],
        hidden: set[int],
        demand_down: set[int],
    ) -> tuple[frozenset[int], frozenset[int]]:
        """The state as (components down, rows excused)."""
        down = {c for c, k in count.items() if k > 0}
        down |= demand_down
        for site in hidden:
            down.difference_update(self.model.site_feeds[site])
        excused = frozenset(r for r, k in own_rows.items() if k > 0 and shared.get(r, 0) <= 0)
        return frozenset(down), excused

    # ------------------------------------------------------------------ judging

    def _judge(self, pending: dict[tuple[frozenset[int], frozenset[int]], int]) -> None:
        if not pending:
            return
        keys = sorted(pending, key=pending.__getitem__)
        failing = self.model.failing_sets(
            [sorted(down) for down, _ in keys], [sorted(excused) for _, excused in keys]
        )
        self.state_failing = np.concatenate([self.state_failing, failing])
        for key in keys:
            self.state_ids[key] = pending[key]
        self.judged += len(keys)

    def _tally(
        self, n_hist: int, seg_hist: list[int], seg_dur: list[float], seg_state: list[int]
    ) -> Histories:
        n_criteria = len(self.model.criteria)
        hist = np.array(seg_hist, dtype=np.int64)
        dur = np.array(seg_dur)
        failing = self.state_failing[np.array(seg_state, dtype=np.int64)].reshape(
            len(seg_state), n_criteria
        )
        downtime = np.zeros((n_hist, n_criteria))
        np.add.at(downtime, hist, dur[:, None] * failing)
        began = failing.copy()
        if len(hist):
            same = np.zeros(len(hist), dtype=bool)
            same[1:] = hist[1:] == hist[:-1]
            began[1:] &= ~(failing[:-1] & same[1:, None])
            began[~same] = False  # the year's first state is where it started, not an outage begun
        outages = np.zeros((n_hist, n_criteria), dtype=np.int64)
        np.add.at(outages, hist, began.astype(np.int64))
        return Histories(downtime, outages, segments=len(seg_state))
