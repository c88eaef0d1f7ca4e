"""A shared crawl's worker holds the requests it took for a host without room."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, cast

from scrapy import Request

from scraper.shared.held import HeldRequests


@dataclass
class Slot:
    concurrency: int
    queue: deque[Any] = field(default_factory=deque)


class Downloader:
    """What HeldRequests asks of Scrapy's downloader, its slots; and their keys, as it makes them."""

    def __init__(self, **slots: Slot) -> None:
        self.slots = slots

    def get_slot_key(self, request: Request) -> str:
        return cast(str, request.url.split("/")[2].split(".")[0])


def taken(url: str) -> tuple[Request, bytes]:
    return Request(url), url.encode()


def asked_for(held: tuple[Request, bytes] | None) -> str | None:
    """The URL a held request asks for, read from its encoding (Requests compare by identity)."""
    return None if held is None else held[1].decode()


def test_a_host_is_backed_up_once_as_many_wait_as_it_may_have_in_flight() -> None:
    downloader: Any = Downloader(slow=Slot(1), busy=Slot(4, deque([1, 2, 3])))
    held = HeldRequests(10)
    assert not held.backed_up(downloader, "new")
    assert not held.backed_up(downloader, "slow")
    assert not held.backed_up(downloader, "busy")
    downloader.slots["slow"].queue.append(0)
    downloader.slots["busy"].queue.append(4)
    assert held.backed_up(downloader, "slow")
    assert held.backed_up(downloader, "busy")


def test_held_requests_go_in_order_once_their_host_has_room() -> None:
    slow, other = Slot(1, deque([0])), Slot(1, deque([0]))
    downloader: Any = Downloader(slow=slow, other=other)
    held = HeldRequests(10)
    for url in ("https://slow.example/1", "https://other.example/1", "https://slow.example/2"):
        held.hold(downloader.get_slot_key(Request(url)), taken(url))
    assert len(held) == 3
    assert held.ready(downloader) is None
    other.queue.clear()
    assert asked_for(held.ready(downloader)) == "https://other.example/1"
    slow.queue.clear()
    assert [asked_for(held.ready(downloader)), asked_for(held.ready(downloader))] == [
        "https://slow.example/1",
        "https://slow.example/2",
    ]
    assert len(held) == 0 and held.ready(downloader) is None


def test_a_full_hold_gives_up_the_request_held_longest() -> None:
    held = HeldRequests(2)
    held.hold("other", taken("https://other.example/1"))
    assert not held.full
    held.hold("slow", taken("https://slow.example/1"))
    assert held.full
    assert asked_for(held.oldest()) == "https://other.example/1"
    assert not held.full and asked_for(held.oldest()) == "https://slow.example/1"
