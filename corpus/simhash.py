"""Near-duplicate texts: 64-bit SimHash fingerprints and an index that finds close ones.

Copies that differ by a few edits, a cut sentence or other furniture land
within :data:`MAX_DISTANCE` bits; an excerpt (a sixth of the text missing) may
not, and different articles on one topic stay well apart (the closest two of
the 258 shared pages differ by 7 bits: the same Taz story fetched twice).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from itertools import cycle

BITS = 64
_BYTES = BITS // 8
SHINGLE_WORDS = 3
# Texts whose fingerprints differ in at most this many bits are the same article.
MAX_DISTANCE = 3
# Split fingerprints into MAX_DISTANCE + 1 bands: two within the distance share one band exactly.
_BANDS = MAX_DISTANCE + 1
_BAND_BITS = BITS // _BANDS
_TOKEN = re.compile(r"\w+")


def simhash(text: str) -> int:
    """Fingerprint ``text`` from its word 3-shingles, case and punctuation ignored."""
    tokens = _TOKEN.findall(text.casefold())
    grams = [
        " ".join(tokens[i : i + SHINGLE_WORDS])
        for i in range(max(1, len(tokens) - SHINGLE_WORDS + 1))
    ]
    digests = b"".join(
        hashlib.blake2b(gram.encode(), digest_size=_BYTES).digest() for gram in grams
    )
    # Count each byte value per position once, then weigh its bits: 8 steps per gram, not 64.
    counts = Counter(zip(cycle(range(_BYTES)), digests))
    weights = [0] * BITS
    for (position, byte), count in counts.items():
        lowest = (_BYTES - 1 - position) * 8  # digests read big-endian
        for bit in range(8):
            weights[lowest + bit] += count if byte >> bit & 1 else -count
    return sum(1 << bit for bit, weight in enumerate(weights) if weight > 0)


def distance(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def _bands(fingerprint: int) -> list[tuple[int, int]]:
    mask = (1 << _BAND_BITS) - 1
    return [(band, fingerprint >> (band * _BAND_BITS) & mask) for band in range(_BANDS)]


class NearDuplicateIndex:
    """Fingerprints of the corpus articles, looked up by band so a query stays cheap."""

    def __init__(self) -> None:
        self._buckets: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)

    def add(self, fingerprint: int, key: int) -> None:
        for band in _bands(fingerprint):
            self._buckets[band].append((fingerprint, key))

    def find(self, fingerprint: int) -> int | None:
        """The key of the closest indexed fingerprint within :data:`MAX_DISTANCE`, if any."""
        best: tuple[int, int] | None = None
        for band in _bands(fingerprint):
            for other, key in self._buckets.get(band, ()):
                gap = distance(fingerprint, other)
                if gap <= MAX_DISTANCE and (best is None or (gap, key) < best):
                    best = (gap, key)
        return None if best is None else best[1]
