"""URL canonicalisation: one spelling per article, so it is fetched and stored once."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING_PARAMS = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|mc_cid|mc_eid|_ga|_gl"
    r"|igshid|ocid|cmpid|xtor|ref|ref_src|ref_url|rss|at_medium|at_campaign|at_custom\d*)$",
    re.IGNORECASE,
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


# A crawl asks for the canonical form of one URL about ten times (links, conditional request,
# revisit check, crawl state, item outcome) at 8 us each: the latest ones are remembered.
@lru_cache(maxsize=4096)
def canonicalize(url: str) -> str:
    """Return ``url`` without fragment, tracking parameters or default port; query sorted."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    query = sorted(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not TRACKING_PARAMS.match(key)
    )
    return urlunsplit((scheme, netloc, parts.path or "/", urlencode(query), ""))


def url_hash(canonical_url: str) -> str:
    """Return the first 16 hex digits of the SHA-256 of ``canonical_url``."""
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:16]


def same_site(url: str, host: str) -> bool:
    """Tell whether ``url`` is on ``host`` or one of its subdomains (``www.`` ignored)."""
    target = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    base = host.lower().removeprefix("www.")
    return target == base or target.endswith("." + base)
