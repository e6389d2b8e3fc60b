"""Which addresses a crawl may connect to: the defence against server-side request forgery.

A crawl started from Discord must never reach the machine citebot runs on or its network (a cloud
metadata service at 169.254.169.254, an admin page on 127.0.0.1, a database on 10.0.0.5). The check
is made on the address actually connected to: the HTTP client resolves names through
:class:`SafeResolver`, which drops every refused address, and then connects to an address it
returned; a name that resolves only to refused addresses fails. Literal IP addresses in URLs (which
the client does not resolve) are checked by :meth:`AddressPolicy.check_url` before each request,
redirects included, since every hop is requested on its own.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from ..errors import CrawlError

logger = logging.getLogger(__name__)

SCHEMES = ("http", "https")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def address_refusal(address: IPAddress | str) -> str:
    """Why a crawl from Discord may not connect to ``address`` ("a loopback address"), or "" when
    it may: only globally routable unicast addresses are allowed. An IPv4-mapped IPv6 address
    (``::ffff:127.0.0.1``) is judged as the IPv4 address it carries."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        # Addresses that carry an IPv4 address are judged as that address (mapped, 6to4, Teredo).
        carried = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if carried is not None:
            return address_refusal(carried)
    checks = (
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_reserved, "a reserved address"),
        (ip.is_private, "a private address"),
        (not ip.is_global, "not a public address"),
    )
    return next((reason for refused, reason in checks if refused), "")


@dataclass(frozen=True)
class AddressPolicy:
    """Which hosts a crawl may reach. ``public_only`` (crawls started from Discord) refuses every
    address that is not public, except on ``allow_hosts`` (host names or IP addresses the
    operator trusts); the operator's own command line crawls anything it can reach."""

    public_only: bool = True
    allow_hosts: frozenset[str] = field(default_factory=frozenset)

    def allowed_host(self, host: str) -> bool:
        """Whether ``host`` is exempt from the address checks (never true when checks are off)."""
        return _host_key(host) in {_host_key(allowed) for allowed in self.allow_hosts}

    def check_url(self, url: str) -> None:
        """Raise :class:`CrawlError` for a URL a crawl may not request: not http(s), no host, or a
        literal IP address that is refused. Host names are checked when resolved."""
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES:
            raise CrawlError(f"only http:// and https:// addresses can be crawled, not {url!r}")
        host = parts.hostname
        if not host:
            raise CrawlError(f"{url!r} has no host name")
        if not self.public_only or self.allowed_host(host):
            return
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            return  # a name: checked on every address it resolves to (SafeResolver)
        reason = address_refusal(ip)
        if reason:
            raise CrawlError(f"{host} is {reason}; citebot does not crawl internal addresses")


def _host_key(host: str) -> str:
    """A host as compared with ``allow_hosts``: lower case, no brackets, no final dot."""
    return host.lower().strip("[]").rstrip(".")


class SafeResolver(AbstractResolver):
    """A resolver for aiohttp that hands the client only the addresses ``policy`` allows, so the
    address connected to is always one that was checked (a name that resolves to a public address
    once and to 127.0.0.1 the next time gains nothing)."""

    def __init__(self, policy: AddressPolicy, resolver: AbstractResolver | None = None) -> None:
        self.policy = policy
        self._resolver = resolver or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """The addresses of ``host`` that may be connected to; :class:`CrawlError` when none may."""
        found = await self._resolver.resolve(host, port, family)
        if not self.policy.public_only or self.policy.allowed_host(host):
            return found
        allowed, reasons = [], []
        for result in found:
            reason = address_refusal(result["host"].split("%", 1)[0])
            if reason:
                reasons.append(f"{result['host']} ({reason})")
            else:
                allowed.append(result)
        if not allowed:
            logger.info("refused to connect to %s: %s", host, ", ".join(reasons))
            raise CrawlError(
                f"{host} resolves to {reasons[0] if reasons else 'no address'}; "
                "citebot does not crawl internal addresses"
            )
        return allowed

    async def close(self) -> None:
        """Release the wrapped resolver."""
        await self._resolver.close()
