"""One HTTP exchange as the records that archive it, packed where its body is.

Scrapy-free, so the records of a big response can be digested and compressed in another
process (``WARC_PROCESSES``): the crawl process gives each exchange its record ids and
date, and the packing is the same in a thread of the crawl or in a worker process.
"""

from __future__ import annotations

from dataclasses import dataclass

from archive.http import response_head
from archive.records import RecordFactory, WarcRecord
from archive.writer import Packed, member_compressor, pack_records


@dataclass(frozen=True)
class Revisit:
    """The capture a response stands for, and how (a WARC revisit profile)."""

    profile: str
    record_id: str
    record_uri: str
    record_date: str
    payload_digest: str


@dataclass(frozen=True)
class Exchange:
    """What the records of one response and its request are built from."""

    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    protocol: str
    ip: str | None
    truncated: str | None
    revisit: Revisit | None
    request_url: str
    request_block: bytes
    context: list[tuple[str, str]]
    date: str
    response_id: str
    request_id: str

    @property
    def payload(self) -> bytes:
        """The payload of the response record: none for a revisit."""
        return b"" if self.revisit else self.body

    def records(self, factory: RecordFactory) -> list[WarcRecord]:
        """The response (or revisit) record, then the request record that goes with it."""
        head = response_head(self.status, self.headers, len(self.body), self.protocol)
        if self.revisit:
            record = factory.revisit(
                self.url,
                head,
                profile=self.revisit.profile,
                refers_to=self.revisit.record_id,
                refers_to_uri=self.revisit.record_uri,
                refers_to_date=self.revisit.record_date,
                payload_digest=self.revisit.payload_digest,
                ip=self.ip,
                date=self.date,
                record_id=self.response_id,
            )
        else:
            record = factory.response(
                self.url,
                head,
                self.body,
                ip=self.ip,
                truncated=self.truncated,
                date=self.date,
                record_id=self.response_id,
            )
        sent = factory.request(
            self.request_url, self.request_block, record, self.context, record_id=self.request_id
        )
        return [record, sent]


_FACTORY = RecordFactory()  # its clock and ids are never used: the exchange brings both


def pack_exchange(exchange: Exchange, warcinfo_id: str, engine: str, level: int) -> Packed:
    """Build and pack the records of ``exchange`` in a worker process: sent back without the body."""
    records = exchange.records(_FACTORY)
    return pack_records(records, warcinfo_id, member_compressor(engine, level)).without_payloads()
