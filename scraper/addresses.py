"""Which addresses and host names a crawl may connect to: public unicast only."""

from __future__ import annotations

import ipaddress

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# IPv6 prefixes whose low 32 bits are an IPv4 address that routers or hosts reach.
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated IPv4-compatible form, ::a.b.c.d


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries: mapped, compatible, 6to4 or NAT64."""
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address in _COMPATIBLE or any(address in network for network in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: Address) -> bool:
    """Tell whether ``address`` is a public unicast address, IPv4 inside IPv6 included."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:
            return is_public(inner)
    return address.is_global and not address.is_multicast


def loopback_name(host: str) -> bool:
    """Whether ``host`` is ``localhost`` or under it (RFC 6761), trailing dots ignored."""
    name = host.lower().rstrip(".")
    return name == "localhost" or name.endswith(".localhost")
