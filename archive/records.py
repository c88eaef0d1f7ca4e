"""Build WARC 1.1 records: warcinfo, response, request and revisit.

warcio reads our files, but its ``RecordBuilder`` and ``WARCWriter`` do not build or write them,
on purpose: its revisit records carry one profile only (identical-payload-digest), while a
conditional request's 304 needs the server-not-modified one, and its writer compresses at a
fixed gzip level 9, while ``WARC_GZIP_LEVEL`` chooses ours. Here the clock and the record ids
are also injected, so the tests can compare records byte for byte.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from archive.digest import sha1_digest

WARC_VERSION = "WARC/1.1"
PROFILE_IDENTICAL = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
PROFILE_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
# WARC-Truncated reasons we write: the size limit, and a connection that broke off.
TRUNCATED_LENGTH = "length"
TRUNCATED_DISCONNECT = "disconnect"

_LEADING_HEADERS = {
    "WARC-Type",
    "WARC-Record-ID",
    "WARC-Date",
    "WARC-Target-URI",
    "WARC-IP-Address",
}

Clock = Callable[[], datetime]
IdFactory = Callable[[], str]


def utc_now() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


def new_record_id() -> str:
    """Return a fresh ``<urn:uuid:...>`` record id."""
    return f"<urn:uuid:{uuid.uuid4()}>"


def warc_date(moment: datetime) -> str:
    """Format ``moment`` as a WARC-Date (UTC, microseconds when present)."""
    moment = moment.astimezone(UTC)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class WarcRecord:
    """One WARC record: its named headers and its block, ``block`` followed by ``payload``.

    A response keeps the page's body (``payload``) apart from its HTTP head (``block``), so
    the body is digested and compressed where it is: never copied into one record.
    """

    headers: list[tuple[str, str]]
    block: bytes = b""
    content_type: str | None = None
    payload: bytes = b""

    def header(self, name: str) -> str | None:
        """Return the first value of header ``name`` (case-insensitive)."""
        lower = name.lower()
        return next((v for n, v in self.headers if n.lower() == lower), None)

    @property
    def record_id(self) -> str:
        return self.header("WARC-Record-ID") or ""

    @property
    def date(self) -> str:
        return self.header("WARC-Date") or ""

    def set_warcinfo(self, warcinfo_id: str) -> None:
        """Point the record at the warcinfo record of the file it is written to."""
        self.headers = [(n, v) for n, v in self.headers if n != "WARC-Warcinfo-ID"]
        position = next(
            (i for i, (n, _) in enumerate(self.headers) if n not in _LEADING_HEADERS),
            len(self.headers),
        )
        self.headers.insert(position, ("WARC-Warcinfo-ID", warcinfo_id))

    def chunks(self) -> tuple[bytes, ...]:
        """The serialised record in pieces: WARC head, block, payload and the two closing CRLFs."""
        lines = [WARC_VERSION] + [f"{name}: {value}" for name, value in self.headers]
        if self.content_type:
            lines.append(f"Content-Type: {self.content_type}")
        lines.append(f"Content-Length: {len(self.block) + len(self.payload)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
        return head, self.block, self.payload, b"\r\n\r\n"

    def to_bytes(self) -> bytes:
        """Serialise the record, ending with the two CRLFs that close it."""
        return b"".join(self.chunks())


@dataclass
class RecordFactory:
    """Make records with a shared clock and id source."""

    clock: Clock = utc_now
    new_id: IdFactory = new_record_id

    def warcinfo(self, filename: str, fields: dict[str, str]) -> WarcRecord:
        """Return the warcinfo record that opens ``filename``."""
        block = "".join(f"{key}: {value}\r\n" for key, value in fields.items()).encode()
        return WarcRecord(
            [
                ("WARC-Type", "warcinfo"),
                ("WARC-Record-ID", self.new_id()),
                ("WARC-Date", warc_date(self.clock())),
                ("WARC-Filename", filename),
                ("WARC-Block-Digest", sha1_digest(block)),
            ],
            block,
            "application/warc-fields",
        )

    def _common(
        self, rec_type: str, url: str, date: str, ip: str | None, record_id: str | None
    ) -> list[tuple[str, str]]:
        headers = [
            ("WARC-Type", rec_type),
            ("WARC-Record-ID", record_id or self.new_id()),
            ("WARC-Date", date),
            ("WARC-Target-URI", url),
        ]
        if ip:
            headers.append(("WARC-IP-Address", ip))
        return headers

    def response(
        self,
        url: str,
        head: bytes,
        payload: bytes,
        *,
        ip: str | None = None,
        truncated: str | None = None,
        date: str | None = None,
        record_id: str | None = None,
    ) -> WarcRecord:
        """Return a response record over an HTTP response: its ``head`` and its ``payload``.

        ``date`` and ``record_id`` default to the factory's clock and id source.
        """
        headers = self._common("response", url, date or warc_date(self.clock()), ip, record_id)
        if truncated:
            headers.append(("WARC-Truncated", truncated))
        headers += [
            ("WARC-Block-Digest", sha1_digest(head, payload)),
            ("WARC-Payload-Digest", sha1_digest(payload)),
        ]
        return WarcRecord(headers, head, "application/http; msgtype=response", payload)

    def request(
        self,
        url: str,
        block: bytes,
        concurrent_to: WarcRecord,
        extra: list[tuple[str, str]] | None = None,
        record_id: str | None = None,
    ) -> WarcRecord:
        """Return the request record that goes with ``concurrent_to``; ``extra`` named fields last."""
        headers = self._common(
            "request", url, concurrent_to.date, concurrent_to.header("WARC-IP-Address"), record_id
        )
        headers += [
            ("WARC-Concurrent-To", concurrent_to.record_id),
            ("WARC-Block-Digest", sha1_digest(block)),
            *(extra or []),
        ]
        return WarcRecord(headers, block, "application/http; msgtype=request")

    def revisit(
        self,
        url: str,
        head_block: bytes,
        *,
        profile: str,
        refers_to: str,
        refers_to_uri: str,
        refers_to_date: str,
        payload_digest: str,
        ip: str | None = None,
        date: str | None = None,
        record_id: str | None = None,
    ) -> WarcRecord:
        """Return a revisit record keeping only the HTTP head of the response."""
        headers = self._common("revisit", url, date or warc_date(self.clock()), ip, record_id)
        headers += [
            ("WARC-Profile", profile),
            ("WARC-Refers-To", refers_to),
            ("WARC-Refers-To-Target-URI", refers_to_uri),
            ("WARC-Refers-To-Date", refers_to_date),
            ("WARC-Block-Digest", sha1_digest(head_block)),
            ("WARC-Payload-Digest", payload_digest),
        ]
        return WarcRecord(headers, head_block, "application/http; msgtype=response")
