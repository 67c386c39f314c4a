"""Where webhooks may go: public addresses only, unless the operator allows a network.

An administrator's webhook must not become a way to reach the machines behind Kehu (the cache,
the database, a cloud's metadata service at 169.254.169.254). Every address is checked twice:
when the webhook is saved (a literal address in any notation — dotted, IPv6, a bare integer,
hex or octal parts — and names such as ``localhost``) and when a delivery connects: the socket's
peer address is checked after the name was resolved, so a name that resolves to an internal
address at delivery time (DNS rebinding) is refused too. Redirects are never followed.

On-premises receivers on a private network are allowed by listing their networks in
``KEHU_WEBHOOK_ALLOWED_NETWORKS`` (e.g. ``10.20.0.0/16,192.168.1.5``).
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


class AddressRefused(Exception):
    """The address is not one webhooks may reach."""


def allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [
        ipaddress.ip_network(value, strict=False)
        for value in getattr(settings, "WEBHOOK_ALLOWED_NETWORKS", [])
    ]


def is_public(address: IPAddress) -> bool:
    """Whether ``address`` may be reached: a global unicast address, or an allowed one."""
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None:
            return is_public(mapped)
    if any(address in network for network in allowed_networks()):
        return True
    return not (
        address.is_loopback
        or address.is_link_local
        or address.is_private
        or address.is_multicast
        or address.is_unspecified
        or address.is_reserved
        or not address.is_global
    )


def literal_address(host: str) -> IPAddress | None:
    """The address a host part names literally, in any notation the C library accepts
    (``127.1``, ``2130706433``, ``0x7f000001``, ``0177.0.0.1``, ``[::1]``), else None."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if "%" in host:  # an IPv6 zone index: fe80::1%eth0
        try:
            return ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def check_url(url: str) -> None:
    """Refuse a webhook address that names an internal host (checked on save, no DNS)."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if not host:
        raise AddressRefused(url)
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        if not allowed_networks():
            raise AddressRefused(url)
        return
    address = literal_address(host)
    if address is not None and not is_public(address):
        raise AddressRefused(url)


def _check_peer(sock: socket.socket) -> None:
    peer = sock.getpeername()[0]
    address = ipaddress.ip_address(str(peer).split("%", 1)[0])
    if not is_public(address):
        sock.close()
        raise AddressRefused(str(address))


class _CheckedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _check_peer(sock)
        return sock


class _CheckedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _check_peer(sock)
        return sock


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class CheckedAdapter(HTTPAdapter):
    """A requests adapter whose connections refuse internal peers once connected."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _CheckedHTTPPool,
            "https": _CheckedHTTPSPool,
        }
