"""Pack the WARC records of big responses in worker processes, off the crawl process."""

from __future__ import annotations

import logging
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

from archive.exchange import Exchange, pack_exchange
from scraper.workerpool import WARC_PACKING, RenewingPool

if TYPE_CHECKING:
    from scrapy.statscollectors import StatsCollector

    from archive.writer import Packed

logger = logging.getLogger(__name__)


class Packers:
    """``processes`` workers that digest and compress the records of an exchange.

    The body goes to a worker once (a pipe write) instead of through two SHA-1 passes and
    the gzip here. The pool starts with :meth:`start` (else with its first exchange). A
    worker that dies breaks the pool: a new one is started and :meth:`pack` answers None for
    every exchange the old one held, for the caller to pack itself: nothing is lost.
    """

    def __init__(self, processes: int, engine: str, level: int, stats: StatsCollector) -> None:
        self.engine = engine
        self.level = level
        self.stats = stats
        self.pool = RenewingPool(processes, WARC_PACKING, renewed=self._renewed)

    def start(self) -> None:
        """Start the workers now, off the reactor, so the first big response does not wait."""
        self.pool.start()

    async def pack(self, exchange: Exchange, warcinfo_id: str) -> Packed | None:
        """The records of ``exchange`` packed for the file of ``warcinfo_id``, or None when
        no worker could (the pool broke or was shut down)."""
        if self.pool.closed:
            return None
        try:
            packed = await self.pool.run(
                pack_exchange, exchange, warcinfo_id, self.engine, self.level
            )
        except BrokenProcessPool:
            return None
        self.stats.inc_value("warc/packed_by_workers")
        return packed.with_payload(exchange.payload)

    def _renewed(self) -> None:
        self.stats.inc_value("warc/packer_restarts")
        logger.warning("A WARC packing worker died; its records are packed in the crawl process")

    def close(self) -> None:
        """Shut the pool down once the exchanges it holds are packed."""
        self.pool.shutdown()
