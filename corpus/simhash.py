"""Near-duplicate texts: 64-bit SimHash fingerprints and an index that finds close ones.

Copies that differ by a few edits, a cut sentence or other furniture land
within :data:`MAX_DISTANCE` bits; an excerpt (a sixth of the text missing) may
not, and different articles on one topic stay well apart (of the 258 shared
pages, the same Taz story fetched twice is 1 bit apart, kept once; any other two
differ by at least 7 bits).
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from functools import partial

BITS = 64
_BYTES = BITS // 8
SHINGLE_WORDS = 3
# Texts whose fingerprints differ in at most this many bits are the same article.
MAX_DISTANCE = 3
#: Bits within which a page whose canonical link names a stored article is taken for it (an
#: AMP or print copy, say); unrelated texts are about 32 bits apart.
CANONICAL_MAX_DISTANCE = 16
# Split fingerprints into MAX_DISTANCE + 1 bands: two within the distance share one band exactly.
_BANDS = MAX_DISTANCE + 1
_BAND_BITS = BITS // _BANDS
_TOKEN = re.compile(r"\w+")
_digest = partial(hashlib.blake2b, digest_size=_BYTES)


def simhash(text: str) -> int:
    """Fingerprint ``text`` from its word 3-shingles, case and punctuation ignored.

    Bit ``b`` is set when more than half of the shingles' 8-byte BLAKE2b digests, read
    big-endian, have it set. numpy counts the bits (1.0 against 4.1 ms a page in pure Python
    over the 258 shared pages' articles); imported here, so the crawl process, whose
    articles come fingerprinted from the extraction workers, does not load it.
    """
    import numpy

    tokens = _TOKEN.findall(text.casefold())
    if len(tokens) < SHINGLE_WORDS:
        grams = [" ".join(tokens)]
    else:
        grams = list(map(" ".join, zip(*(tokens[i:] for i in range(SHINGLE_WORDS)))))
    digests = b"".join([_digest(gram.encode()).digest() for gram in grams])
    # One row of 64 bits per shingle, the digest's first byte's highest bit first.
    bits = numpy.unpackbits(
        numpy.frombuffer(digests, dtype=numpy.uint8).reshape(-1, _BYTES), axis=1
    )
    majority = 2 * bits.sum(axis=0, dtype=numpy.int64) > len(grams)
    return int.from_bytes(numpy.packbits(majority).tobytes(), "big")


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
