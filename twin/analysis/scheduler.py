"""Where the parallel pieces of an analysis run: in this process, or on a dask cluster.

``--scheduler`` names it (:func:`parse_scheduler`):

* absent or ``local``: in this process, one piece after another;
* ``local:N``: a ``distributed.LocalCluster`` of N worker processes with one thread
  each, started for the command and closed after it;
* ``tcp://HOST:PORT``: the scheduler of a running dask cluster (``dask scheduler`` on
  one host, ``dask worker tcp://HOST:PORT`` on the others; every worker needs the same
  dctwin installed).

:meth:`Scheduler.map` runs a top-level (so picklable) function over items and returns
the results in the items' order. What every piece needs — typically the fleet — is
passed once as ``shared``: a cluster sends it to each worker once (not once per item),
and :class:`SharedFleet` compiles it once per worker process (:func:`worker_cached`).
The result never depends on where the pieces ran.

dask is imported only when a cluster is asked for, so the rest of the command line
does not pay for it.

>>> with open_scheduler(parse_scheduler(None)) as scheduler:
...     scheduler.map(pow, [1, 2, 3], shared=2)
[2, 4, 8]
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from urllib.parse import urlsplit

from twin.analysis.twin import Twin
from twin.errors import UsageError, shown
from twin.model import Fleet

if TYPE_CHECKING:
    import distributed

__all__ = [
    "CONNECT_TIMEOUT_S",
    "MAX_LOCAL_WORKERS",
    "Scheduler",
    "SchedulerError",
    "SchedulerSpec",
    "SharedFleet",
    "open_scheduler",
    "parse_scheduler",
    "worker_cached",
]

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")

OPTION = "--scheduler"
MAX_LOCAL_WORKERS = 256
"""Bound on ``local:N``: more is a typo, not a plan."""
CONNECT_TIMEOUT_S = 10.0
"""How long to wait for a ``tcp://`` scheduler to answer, and for it to have a worker."""

ProgressFn = Callable[[int, int], None]


class SchedulerError(UsageError):
    """The scheduler asked for is malformed, cannot be reached or cannot be started."""


@dataclass(frozen=True)
class SchedulerSpec:
    """A parsed ``--scheduler`` value."""

    kind: Literal["in-process", "local", "tcp"]
    workers: int = 1
    """Worker processes of a ``local:N`` cluster (1 in process; unused for ``tcp``)."""
    address: str = ""
    """The scheduler's address for ``tcp``."""

    def __str__(self) -> str:
        if self.kind == "in-process":
            return "local"
        return f"local:{self.workers}" if self.kind == "local" else self.address


def parse_scheduler(text: str | None) -> SchedulerSpec:
    """Read a ``--scheduler`` value; a malformed one is a :class:`SchedulerError` naming
    the option.

    >>> parse_scheduler(None)
    SchedulerSpec(kind='in-process', workers=1, address='')
    >>> parse_scheduler("local:4")
    SchedulerSpec(kind='local', workers=4, address='')
    >>> str(parse_scheduler("tcp://10.0.0.5:8786"))
    'tcp://10.0.0.5:8786'
    >>> parse_scheduler("local:0")
    Traceback (most recent call last):
    ...
    twin.analysis.scheduler.SchedulerError: --scheduler local:N must have N a whole number \
of worker processes from 1 to 256, not 'local:0'
    """
    if text is None or text == "local":
        return SchedulerSpec("in-process")
    if text.startswith("local:"):
        count = text.removeprefix("local:")
        if not (count.isascii() and count.isdigit() and 1 <= int(count) <= MAX_LOCAL_WORKERS):
            raise SchedulerError(
                f"{OPTION} local:N must have N a whole number of worker processes from 1 to "
                f"{MAX_LOCAL_WORKERS}, not {shown(text)}"
            )
        return SchedulerSpec("local", workers=int(count))
    if text.startswith("tcp://"):
        return SchedulerSpec("tcp", workers=0, address=_tcp_address(text))
    raise SchedulerError(
        f"{OPTION} must be local (this process), local:N (N worker processes here) or "
        f"tcp://HOST:PORT (a dask scheduler), not {shown(text)}"
    )


def _tcp_address(text: str) -> str:
    bad = SchedulerError(
        f"{OPTION} tcp://HOST:PORT must name a dask scheduler's host and port (1-65535) "
        f"and nothing else, not {shown(text)}"
    )
    if not text.isascii() or any(c.isspace() for c in text):
        raise bad
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError:
        raise bad from None
    if not parts.hostname or port is None or port == 0:
        raise bad
    if parts.path or parts.query or parts.fragment or parts.username or parts.password:
        raise bad
    return text


# --------------------------------------------------------------------------- per process


_CACHE: OrderedDict[Hashable, Any] = OrderedDict()
_CACHE_SIZE = 4
_CACHE_LOCK = threading.RLock()  # re-entrant: a build may use another cached value


def worker_cached(key: Hashable, build: Callable[[], T]) -> T:
    """``build()`` once per process and ``key`` (the last few are kept): how a worker
    compiles a fleet once for every piece of a run it is given."""
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            value: T = _CACHE[key]
            return value
        value = build()
        _CACHE[key] = value
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
        return value


@dataclass(frozen=True)
class SharedFleet:
    """A fleet sent once to every worker, compiled there once per process.

    The pieces of a run receive it as ``shared`` and call :meth:`twin` (or :meth:`memo`
    for something derived from the twin): the first piece on a worker compiles, the
    others reuse. :meth:`of` seeds this process's cache with the twin at hand, so an
    in-process run compiles nothing again.
    """

    fleet: Fleet
    key: str
    """The fleet's fingerprint (:attr:`Twin.fingerprint`)."""

    @classmethod
    def of(cls, twin: Twin) -> SharedFleet:
        with _CACHE_LOCK:  # the twin at hand, even if an equal one was cached before
            _CACHE[("twin", twin.fingerprint)] = twin
            _CACHE.move_to_end(("twin", twin.fingerprint))
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
        return cls(twin.fleet, twin.fingerprint)

    def twin(self) -> Twin:
        return worker_cached(("twin", self.key), lambda: Twin(self.fleet))

    def memo(self, name: str, build: Callable[[Twin], T]) -> T:
        """``build(twin)`` once per process and fleet (``name`` tells results apart)."""
        return worker_cached((name, self.key), lambda: build(self.twin()))


# --------------------------------------------------------------------------- schedulers


class Scheduler(ABC):
    """Runs the pieces of an analysis; a context manager (a cluster it started is closed
    on leaving)."""

    def __init__(self, spec: SchedulerSpec) -> None:
        self.spec = spec

    @property
    def distributed(self) -> bool:
        """Whether pieces run in other processes (``False``: in this one)."""
        return self.spec.kind != "in-process"

    @property
    @abstractmethod
    def workers(self) -> int:
        """How many pieces run at once: worker threads over the whole cluster."""

    @abstractmethod
    def map(
        self,
        fn: Callable[[S, T], R],
        items: Sequence[T],
        *,
        shared: S,
        progress: ProgressFn | None = None,
    ) -> list[R]:
        """``[fn(shared, item) for item in items]``, wherever the pieces run.

        ``fn`` is a module-level function (workers import it by name); ``shared`` and
        the items are pickled, ``shared`` once per worker. ``progress(done, total)``
        is called as pieces finish. An exception raised by a piece is raised here.
        """

    def close(self) -> None:  # noqa: B027 - nothing to release by default
        """Release what the scheduler started."""

    def __enter__(self) -> Scheduler:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class InProcess(Scheduler):
    """One piece after another, in this process."""

    @property
    def workers(self) -> int:
        return 1

    def map(
        self,
        fn: Callable[[S, T], R],
        items: Sequence[T],
        *,
        shared: S,
        progress: ProgressFn | None = None,
    ) -> list[R]:
        out = []
        for done, item in enumerate(items, 1):
            out.append(fn(shared, item))
            if progress:
                progress(done, len(items))
        return out


_NANNY_ENV = "distributed.nanny.pre-spawn-environ"
"""Dask's config of the environment its nannies give the worker processes."""


class Dask(Scheduler):
    """Pieces on a ``dask.distributed`` cluster: a ``LocalCluster`` started here
    (``local:N``, on first use) or a running one (``tcp://``, connected at once)."""

    def __init__(self, spec: SchedulerSpec, connect_timeout_s: float | None = None) -> None:
        super().__init__(spec)
        self.connect_timeout_s = (
            CONNECT_TIMEOUT_S if connect_timeout_s is None else connect_timeout_s
        )
        self._client: distributed.Client | None = None
        self._cluster: distributed.LocalCluster | None = None
        if spec.kind == "tcp":
            self.start()  # a wrong address fails before any analysis runs

    def start(self) -> distributed.Client:
        """Start the local cluster or connect to the scheduler (once)."""
        if self._client is not None:
            return self._client
        try:
            import distributed
        except ImportError:
            raise SchedulerError(
                f"{OPTION} {self.spec} needs dask.distributed: pip install 'dctwin[distributed]'"
            ) from None
        if self.spec.kind == "local":
            import dask

            try:
                # The nanny sets MALLOC_TRIM_THRESHOLD_ in its workers, which pins glibc's
                # mmap threshold: every large numpy temporary is then mapped and unmapped
                # again, and a shard ran ~2x slower in a worker than in one process.
                with dask.config.set({f"{_NANNY_ENV}.MALLOC_TRIM_THRESHOLD_": None}):
                    self._cluster = distributed.LocalCluster(
                        n_workers=self.spec.workers,
                        threads_per_worker=1,
                        processes=True,
                        host="127.0.0.1",
                        dashboard_address="127.0.0.1:0",  # its HTTP server: any free port
                        silence_logs=logging.ERROR,
                    )
            except OSError as error:
                raise SchedulerError(
                    f"{OPTION} {self.spec}: cannot start the local cluster ({error})"
                ) from None
            self._client = distributed.Client(self._cluster)
            return self._client
        timeout = self.connect_timeout_s
        try:
            client = distributed.Client(self.spec.address, timeout=f"{timeout}s")
        except (OSError, TimeoutError) as error:
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise SchedulerError(
                f"{OPTION} {self.spec.address}: cannot reach a dask scheduler there "
                f"({reason}); start one with `dask scheduler`, or check the address"
            ) from None
        try:
            client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:
            client.close()
            raise SchedulerError(
                f"{OPTION} {self.spec.address}: the dask scheduler has no worker after "
                f"{timeout:g} s; start some with `dask worker {self.spec.address}`"
            ) from None
        self._client = client
        return client

    @property
    def workers(self) -> int:
        return sum(self.start().nthreads().values())

    def map(
        self,
        fn: Callable[[S, T], R],
        items: Sequence[T],
        *,
        shared: S,
        progress: ProgressFn | None = None,
    ) -> list[R]:
        from distributed import as_completed

        client = self.start()
        if not items:
            return []
        handle = client.scatter(shared, broadcast=True, hash=False)
        futures = [client.submit(fn, handle, item, pure=False) for item in items]
        try:
            for done, _ in enumerate(as_completed(futures), 1):
                if progress:
                    progress(done, len(items))
            results: list[R] = client.gather(futures)
        finally:
            client.cancel([*futures, handle])
        return results

    def close(self) -> None:
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        try:
            if client is not None:
                client.close()
        finally:
            if cluster is not None:
                cluster.close()


def open_scheduler(spec: SchedulerSpec, *, connect_timeout_s: float | None = None) -> Scheduler:
    """The scheduler ``spec`` names; use it as a context manager.

    A ``tcp://`` scheduler is connected to at once (:class:`SchedulerError` when it
    cannot be reached or has no worker); a ``local:N`` cluster starts when first used,
    so a run that needs no parallel piece starts nothing. ``connect_timeout_s`` defaults
    to :data:`CONNECT_TIMEOUT_S`.
    """
    if spec.kind == "in-process":
        return InProcess(spec)
    return Dask(spec, connect_timeout_s)
