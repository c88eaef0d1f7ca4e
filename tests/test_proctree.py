"""The benchmarks' process-tree measurement: the cores a run kept busy, span by span."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from benchmarks.crawl import machine_share
from benchmarks.proctree import Measured, measure


def _run(seconds: float, samples: list[tuple[float, float]]) -> Measured:
    return Measured(0, seconds, samples[-1][1] if samples else 0.0, 0, "", cpu_samples=samples)


def test_a_tree_busy_on_two_cores_after_an_idle_start() -> None:
    # 10 s: one core for the first 2 s, then two; CPU seconds so far, sampled every 0.5 s.
    samples = [(t / 2, min(t / 2, 2.0) + 2 * max(0.0, t / 2 - 2.0)) for t in range(1, 21)]
    busy = _run(10.0, samples).cores_busy(5)
    assert busy == pytest.approx([1.0, 2.0, 2.0, 2.0, 2.0])


def test_a_span_with_no_new_sample_counts_as_idle() -> None:
    # The tree worked 3 CPU seconds in its first second, then nothing was sampled until its end.
    busy = _run(4.0, [(0.5, 1.0), (1.0, 3.0), (4.0, 3.0)]).cores_busy(4)
    assert busy == pytest.approx([3.0, 0.0, 0.0, 0.0])


def test_a_run_without_samples_has_no_spans() -> None:
    assert _run(1.0, []).cores_busy() == []


def test_the_cores_time_is_split_into_the_tree_idle_and_the_rest() -> None:
    run = Measured(0, 10.0, 15.0, 0, "", machine_idle_seconds=3.0)
    assert machine_share(run, 2) == (
        "the crawl's tree 75.0%, idle 15.0%, the rest 10.0% (the web server, this benchmark's "
        "measuring, the kernel, any other process)"
    )


def test_a_measured_run_reads_the_machine_idle_time_in_core_seconds(tmp_path: Path) -> None:
    sleeping = measure([sys.executable, "-c", "import time; time.sleep(0.5)"], tmp_path)
    cores = os.cpu_count() or 1
    assert sleeping.returncode == 0
    assert 0 <= sleeping.machine_idle_seconds <= sleeping.seconds * cores + 0.1
