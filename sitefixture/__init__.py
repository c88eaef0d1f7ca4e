"""Fixture news sites served over real HTTP on 127.0.0.1, for tests and benchmarks."""

from sitefixture.server import FixtureServer, Resource

__all__ = ["FixtureServer", "Resource"]
