"""benchmarks.crawl splits ours / our extraction limit into parts whose product is that ratio."""

from __future__ import annotations

from benchmarks.crawl import ratio_parts
from benchmarks.peers import Limit
from benchmarks.proctree import Measured


def test_the_parts_of_the_ratio_multiply_to_the_ratio() -> None:
    # 1,000 pages in 50 s on 2 cores: 20 pages/s against a limit of 25, so 0.80.
    ours = Measured(
        returncode=0,
        seconds=50.0,
        cpu_seconds=86.0,
        peak_rss=0,
        output="",
        cpu_parts={"crawl": (1, 15.0), "fork server": (1, 1.0), "extraction worker": (2, 70.0)},
    )
    limit = Limit(pages_per_second=25.0, cpu_ms_per_page=60.0)
    assert limit.busy(2) == 0.75
    parts = ratio_parts(ours, 1000, limit, 2)
    assert parts.startswith("ratio's parts: ours / our limit 0.80 = "), parts
    assert "(60.0 / 70.0 ms: 0.86)" in parts  # the extraction dearer in our workers
    assert "(70.0 / 86.0 ms: 0.81)" in parts  # the crawl process and the fork server
    assert "(0.86 / 0.75: 1.15)" in parts  # cores busier in the crawl than in the limit


def test_without_workers_the_ratio_is_not_split() -> None:
    ours = Measured(0, 10.0, 5.0, 0, "", cpu_parts={"crawl": (1, 5.0)})
    assert "no CPU of extraction workers" in ratio_parts(ours, 100, Limit(10.0, 50.0), 2)


def test_the_mean_of_two_limits() -> None:
    assert Limit.mean(Limit(20.0, 80.0), Limit(30.0, 60.0)) == Limit(25.0, 70.0)
