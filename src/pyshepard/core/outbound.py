"""Which hosts the server's own outbound requests (subscription callbacks, registry webhooks,
SPARQL endpoints) may reach: loopback, private and link-local addresses are off limits unless a
setting allows them, or a user could make the server probe its own network."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_LOCAL_NAMES = ("localhost", "ip6-localhost", "ip6-loopback")


def is_public_address(address: IPAddress) -> bool:
    """False for loopback, private, link-local, shared, reserved and multicast addresses."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if re.fullmatch(r"[0-9a-fA-FxX.]+", host):
        try:  # the resolver's lenient IPv4 forms: 127.1, 0x7f.1, 2130706433
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def names_non_public_host(url: str) -> bool:
    """Whether the URL names a loopback/private/link-local host literally. Host names are
    resolved only at delivery time, which must check the resolved addresses again."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if not host or host in _LOCAL_NAMES or host.endswith(".localhost"):
        return True
    address = _literal_address(host)
    return address is not None and not is_public_address(address)


async def require_public_host(url: str) -> None:
    """Raises PermissionError if the URL's host resolves to a non-public address (DNS may have
    changed since the URL was accepted)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    infos = await asyncio.get_running_loop().getaddrinfo(host, port)
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not is_public_address(address):
            raise PermissionError(f"{host} resolves to the non-public address {address}")
