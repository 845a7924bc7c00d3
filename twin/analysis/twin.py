"""The compiled twin of a fleet: compiled once, shared by every analysis.

A :class:`Twin` owns the :class:`~twin.analysis.graph.CompiledGraph`, the fast
:class:`~twin.analysis.engine.Evaluator` on it, and the derived facts the analyses
keep asking for (name index, the power order used by load flow, the generator-only
buses, the transient sources). Each is computed once, on first use. Every analysis
takes a twin (a :class:`~twin.model.Fleet` is accepted and compiled on the spot, for
one-off calls); a report builds one twin and hands it to all of them, so a fleet is
compiled once per report.

The model is frozen, so the twin cannot go stale by assignment; :meth:`Twin.is_stale`
compares a fingerprint of the fleet's document with the one taken at compile time,
for the paranoid and the tests.

Examples
--------
>>> from stacks import build_stack
>>> twin = Twin(build_stack("lab"))
>>> twin.evaluator.baseline.down_names()
[]
>>> as_twin(twin) is twin
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cached_property
from typing import Any, TypeVar

from twin.analysis.engine import Evaluator
from twin.analysis.graph import CompiledGraph, compile_fleet
from twin.analysis.ordering import suppliers_first
from twin.model import AnyComponent, ComponentBase, Fleet, Site
from twin.model.reliability import Resolved, resolve

__all__ = ["Twin", "as_twin"]

T = TypeVar("T")
C = TypeVar("C", bound=ComponentBase)


class Twin:
    """A fleet, compiled: graph, engine and cached derived facts.

    Parameters
    ----------
    fleet : Fleet
        The validated (frozen) fleet.
    share_gates : bool
        Identical requirement gates share one node (the default); ``False`` compiles
        one node per gate, for checking that sharing changes no answer.
    """

    def __init__(self, fleet: Fleet, share_gates: bool = True) -> None:
        self.fleet = fleet
        self.graph: CompiledGraph = compile_fleet(fleet, share_gates=share_gates)
        self.evaluator = Evaluator(self.graph)
        self._fingerprint = _fingerprint(fleet)
        self._memo: dict[object, Any] = {}

    def __repr__(self) -> str:
        return f"Twin({self.fleet.name!r}, {self.graph.n_components} components)"

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the fleet's document at compile time: the same fleet, the same key
        (what a worker of a distributed run caches its compiled twin under)."""
        return self._fingerprint

    def is_stale(self) -> bool:
        """Whether the fleet's document differs from the one compiled (it cannot, unless
        someone bypassed the frozen models)."""
        return _fingerprint(self.fleet) != self._fingerprint

    def memo(self, key: object, compute: Callable[[], T]) -> T:
        """``compute()`` once per twin and ``key``; later calls return the same object.

        For results several consumers share (the headline of a Pulumi preview, the
        baseline served fractions at a surge) and that only depend on the fleet.
        """
        if key not in self._memo:
            self._memo[key] = compute()
        value: T = self._memo[key]
        return value

    # ------------------------------------------------------------------ derived facts

    @cached_property
    def index(self) -> dict[str, tuple[Site, AnyComponent]]:
        """Component name → (site, component)."""
        return self.fleet.component_index()

    @cached_property
    def sites(self) -> dict[str, Site]:
        """Site name → site."""
        return {site.name: site for site in self.fleet.sites}

    @cached_property
    def components_of_kind(self) -> dict[str, list[AnyComponent]]:
        """Kind → its components, in declaration order."""
        out: dict[str, list[AnyComponent]] = {}
        for _, comp in self.fleet.components():
            out.setdefault(comp.kind, []).append(comp)
        return out

    def of_kind(self, kind: str) -> list[AnyComponent]:
        """The components of ``kind`` (declaration order; empty when there are none)."""
        return self.components_of_kind.get(kind, [])

    def all(self, cls: type[C]) -> dict[str, C]:
        """Name → component, for every component of model class ``cls`` (typed).

        >>> from twin.model import Generator
        >>> from stacks import build_stack
        >>> sorted(Twin(build_stack("lab")).all(Generator))[:1]
        ['lab-gen-01']
        """
        return self.memo(
            ("all", cls),
            lambda: {c.name: c for _, c in self.fleet.components() if isinstance(c, cls)},
        )

    @cached_property
    def reliability(self) -> Resolved:
        """Failure and restore figures of every component (reference data, the fleet's
        overrides and its recovery inputs): what timelines repair by and availability
        samples from."""
        return resolve(self.fleet)

    @cached_property
    def transient_sources(self) -> list[str]:
        """Components that cannot carry load indefinitely (thermal storage): never counted
        on in steady state."""
        return [c.name for c in self.of_kind("thermal_storage")]

    @cached_property
    def power_order(self) -> list[str]:
        """Components ordered consumers first along power requirements (cycles broken),
        the order load flows up from rows to sources."""
        suppliers = {
            c.name: [s for r in c.requires if r.resource == "power" for s in r.suppliers]
            for _, c in self.fleet.components()
        }
        return suppliers_first(suppliers, suppliers)[::-1]

    @cached_property
    def generator_only(self) -> frozenset[str]:
        """Components powered only by generators (a generator bus): dark while they stand by."""
        gens = {c.name for c in self.of_kind("generator")}
        only: set[str] = set()
        grew = True
        while grew:
            grew = False
            for _, comp in self.fleet.components():
                if comp.name in gens or comp.name in only:
                    continue
                supplies = [s for r in comp.requires if r.resource == "power" for s in r.suppliers]
                if supplies and all(s in gens or s in only for s in supplies):
                    only.add(comp.name)
                    grew = True
        return frozenset(only)

    @cached_property
    def demand_levels(self) -> list[str]:
        """``baseline`` and every named surge, in declaration order."""
        names: list[str] = []
        for service in self.fleet.services:
            for surge in service.surges:
                if surge not in names:
                    names.append(surge)
        return ["baseline", *names]


def as_twin(source: Twin | Fleet) -> Twin:
    """``source`` if it is a twin, else the fleet compiled into one."""
    return source if isinstance(source, Twin) else Twin(source)


def _fingerprint(fleet: Fleet) -> str:
    return hashlib.sha256(fleet.model_dump_json().encode("utf-8")).hexdigest()
