"""``--scheduler``: parsing, usage errors through the command line, and Monte Carlo on a
dask ``LocalCluster`` giving bit for bit what one process gives.

The cluster tests share one two-worker ``LocalCluster`` (module scope, a few seconds to
start) and are marked ``cluster``: ``pytest -m "not cluster"`` leaves them out.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import numpy as np
import pytest

import twin.analysis.availability as availability_module
import twin.analysis.scheduler as scheduler_module
from stacks import build_stack
from twin.analysis.availability import availability, shard_blocks
from twin.analysis.availability.model import ReliabilityModel
from twin.analysis.availability.montecarlo import run_blocks
from twin.analysis.contingency import contingency
from twin.analysis.scheduler import (
    InProcess,
    Scheduler,
    SchedulerError,
    SchedulerSpec,
    SharedFleet,
    open_scheduler,
    parse_scheduler,
    worker_cached,
)
from twin.analysis.twin import Twin
from twin.cli import main
from twin.errors import UsageError

# ----------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        (None, SchedulerSpec("in-process")),
        ("local", SchedulerSpec("in-process")),
        ("local:1", SchedulerSpec("local", workers=1)),
        ("local:2", SchedulerSpec("local", workers=2)),
        ("local:256", SchedulerSpec("local", workers=256)),
        ("tcp://127.0.0.1:8786", SchedulerSpec("tcp", 0, "tcp://127.0.0.1:8786")),
        ("tcp://dask-head.example:8786", SchedulerSpec("tcp", 0, "tcp://dask-head.example:8786")),
        ("tcp://[::1]:8786", SchedulerSpec("tcp", 0, "tcp://[::1]:8786")),
    ],
)
def test_good_values_parse(text, spec):
    assert parse_scheduler(text) == spec
    assert str(spec) == (text or "local")


BAD = [
    "",
    "LOCAL",
    "local:",
    "local:0",
    "local:257",
    "local:-1",
    "local:2.5",
    "local: 2",
    "local:\u0662",  # an Arabic-Indic two: a digit, but not one we take
    "tcp://",
    "tcp://host",
    "tcp://host:0",
    "tcp://host:65536",
    "tcp://host:port",
    "tcp://host:8786/path",
    "tcp://host:8786?x=1",
    "tcp://user@host:8786",
    "tcp://host:8786 ",
    "tls://host:8786",
    "host:8786",
    "inproc://x",
]


@pytest.mark.parametrize("text", BAD)
def test_bad_values_are_usage_errors_naming_the_option(text):
    with pytest.raises(UsageError, match=r"^--scheduler "):
        parse_scheduler(text)


@pytest.mark.parametrize("command", ["availability", "report"])
@pytest.mark.parametrize("text", ["local:0", "tcp://host", "dask", "local:\x1b[31m"])
def test_bad_values_exit_2_through_the_command_line(command, text, capsys):
    argv = [command, "--stack", "lab", "--years", "10", "--scheduler", text]
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert "argument --scheduler:" in err and "Traceback" not in err
    assert "\x1b" not in err  # echoed values are escaped


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["report", "--stack", "lab", "--scheduler", "local:2"], "add --order 2 or --years N"),
        (["contingency", "--stack", "lab", "--scheduler", "local:2"], "add --order 2"),
        (
            ["availability", "--stack", "lab", "--method", "cut-sets", "--scheduler", "local:2"],
            "--method cut-sets runs no Monte Carlo",
        ),
        (
            ["availability", "--stack", "lab", "--method", "exact", "--scheduler", "local:2"],
            "--method exact runs no Monte Carlo",
        ),
    ],
)
def test_a_cluster_with_nothing_to_shard_is_a_usage_error(argv, says, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--scheduler local:2 shards N-2, sampled N-3 and Monte Carlo" in err and says in err


def test_in_process_is_accepted_everywhere(capsys):
    argv = ["report", "--stack", "lab", "--scheduler", "local", "--format", "json"]
    assert main(argv) == 0
    assert '"schema_version"' in capsys.readouterr().out


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_scheduler_exits_2_naming_it(monkeypatch, capsys):
    pytest.importorskip("distributed")
    monkeypatch.setattr(scheduler_module, "CONNECT_TIMEOUT_S", 1.0)
    address = f"tcp://127.0.0.1:{_closed_port()}"
    argv = ["availability", "--stack", "lab", "--years", "10", "--scheduler", address]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"--scheduler {address}: cannot reach a dask scheduler there" in err
    assert "Traceback" not in err and "internal error" not in err


def test_dask_is_imported_only_for_a_cluster():
    import subprocess
    import sys

    code = (
        "import sys, twin.cli; "
        "from twin.cli import main; "
        "main(['availability', '--stack', 'lab', '--method', 'cut-sets', '--format', 'json']); "
        "assert 'distributed' not in sys.modules and 'dask' not in sys.modules"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# ----------------------------------------------------------------------------- in process


def test_in_process_map_keeps_order_and_reports_progress():
    ticks: list[tuple[int, int]] = []
    with open_scheduler(parse_scheduler("local")) as scheduler:
        assert isinstance(scheduler, InProcess) and not scheduler.distributed
        assert scheduler.workers == 1
        out = scheduler.map(
            divmod, [7, 9, 11], shared=100, progress=lambda d, t: ticks.append((d, t))
        )
    assert out == [divmod(100, 7), divmod(100, 9), divmod(100, 11)]
    assert ticks == [(1, 3), (2, 3), (3, 3)]


def test_worker_cache_builds_once_per_key():
    built: list[str] = []

    def build(name: str) -> str:
        built.append(name)
        return name.upper()

    key = ("test", object())
    assert worker_cached(key, lambda: build("a")) == "A"
    assert worker_cached(key, lambda: build("b")) == "A"
    assert built == ["a"]


def test_a_shared_fleet_reuses_the_twin_at_hand():
    twin = Twin(build_stack("lab"))
    shared = SharedFleet.of(twin)
    assert shared.key == twin.fingerprint
    assert shared.twin() is twin
    model = shared.memo("reliability-model", ReliabilityModel)
    assert shared.memo("reliability-model", ReliabilityModel) is model


# ----------------------------------------------------------------------------- on a cluster


@pytest.fixture(scope="module")
def cluster() -> Iterator[Scheduler]:
    pytest.importorskip("distributed")
    with open_scheduler(parse_scheduler("local:2")) as scheduler:
        yield scheduler


@pytest.fixture(scope="module")
def lab() -> Twin:
    return Twin(build_stack("lab"))


def _fails_on_three(shared: int, item: int) -> int:
    if item == 3:
        raise ValueError(f"piece {item} failed")
    return shared + item


@pytest.mark.cluster
def test_a_cluster_maps_in_order_and_raises_what_a_piece_raised(cluster):
    assert cluster.distributed and cluster.workers == 2
    ticks: list[int] = []
    items = list(range(10))
    assert cluster.map(pow, items, shared=3, progress=lambda d, t: ticks.append(d)) == [
        3**i for i in items
    ]
    assert ticks == list(range(1, 11))
    with pytest.raises(ValueError, match="piece 3 failed"):
        cluster.map(_fails_on_three, [1, 2, 3, 4], shared=10)
    assert cluster.map(pow, [], shared=2) == []


@pytest.mark.cluster
@pytest.mark.parametrize(("years", "seed", "shards"), [(1500, 7, None), (1300, 1, 5)])
def test_monte_carlo_on_two_workers_is_bit_identical(cluster, lab, years, seed, shards):
    """The histories themselves (every simulated year, every criterion) and the report."""
    model = ReliabilityModel(lab)
    alone = run_blocks(model, years, seed)
    pieces = shard_blocks(years, shards or cluster.workers)
    spread = availability_module._monte_carlo_on(cluster, lab, years, seed, pieces, None)
    assert spread.downtime_h.dtype == alone.downtime_h.dtype
    assert np.array_equal(spread.downtime_h, alone.downtime_h)
    assert np.array_equal(spread.outages, alone.outages)
    assert spread.segments == alone.segments

    kwargs = {"years": years, "seed": seed, "method": "monte-carlo", "shards": shards}
    here = availability(lab, **kwargs).to_json()
    there = availability(lab, scheduler=cluster, **kwargs).to_json()
    assert there["shards"] == (shards or 2)
    here["shards"] = there["shards"] = None
    assert here == there


@pytest.mark.cluster
def test_the_command_line_on_a_local_cluster_matches_one_process(tmp_path, capsys):
    """Through ``main``: the same JSON, the split aside (one shard per worker)."""
    base = ["availability", "--stack", "lab", "--years", "700", "--seed", "5"]
    base += ["--method", "monte-carlo", "--format", "json"]
    assert main([*base, "--shards", "2", "--out", str(tmp_path / "one.json")]) == 0
    assert main([*base, "--scheduler", "local:2", "--out", str(tmp_path / "two.json")]) == 0
    capsys.readouterr()
    assert (tmp_path / "one.json").read_bytes() == (tmp_path / "two.json").read_bytes()


def test_scheduler_errors_are_usage_errors():
    assert issubclass(SchedulerError, UsageError)


@pytest.mark.cluster
@pytest.mark.parametrize(("stack", "prune"), [("pangyo-2022", True), ("lab", False)])
def test_n2_on_two_workers_matches_one_process(cluster, stack, prune):
    """Pairs sharded over the workers: the same critical pairs, counts and report."""
    twin = Twin(build_stack(stack))
    kwargs = {"order": 2, "all_pairs": True, "prune": prune, "max_listed": 50}
    here = contingency(twin, **kwargs).to_json()
    there = contingency(twin, scheduler=cluster, **kwargs).to_json()
    assert here == there
    assert here["critical_pairs_found"] > 0


@pytest.mark.cluster
def test_contingency_on_the_command_line_on_a_local_cluster(tmp_path, capsys):
    base = ["contingency", "--stack", "ansan", "--order", "2", "--format", "json"]
    assert main([*base, "--out", str(tmp_path / "one.json")]) == 0
    assert main([*base, "--scheduler", "local:2", "--out", str(tmp_path / "two.json")]) == 0
    capsys.readouterr()
    assert (tmp_path / "one.json").read_bytes() == (tmp_path / "two.json").read_bytes()


@pytest.mark.cluster
def test_sampled_n3_on_two_workers_matches_one_process(cluster):
    """Triple blocks shared out over the workers: the same sample, counts and triples."""
    twin = Twin(build_stack("pangyo-2022"))
    kwargs = {"order": 3, "samples": 45_000, "seed": 3, "max_listed": 50}
    here = contingency(twin, **kwargs).to_json()
    there = contingency(twin, scheduler=cluster, **kwargs).to_json()
    assert here == there
    assert here["triples"]["triples_sampled"] == 45_000


def _environment(shared: object, name: str) -> str | None:
    return os.environ.get(name)


@pytest.mark.cluster
def test_local_workers_keep_glibcs_own_mmap_threshold(cluster):
    """dask's nanny would set MALLOC_TRIM_THRESHOLD_ in its workers, pinning glibc's
    mmap threshold (numpy temporaries mapped and unmapped again: shards ~2x slower)."""
    assert "MALLOC_TRIM_THRESHOLD_" not in os.environ  # the test means nothing otherwise
    assert cluster.map(_environment, ["MALLOC_TRIM_THRESHOLD_", "OMP_NUM_THREADS"], shared=0) == [
        None,
        "1",
    ]
