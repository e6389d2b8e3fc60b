"""Which addresses a crawl may connect to: the defence against server-side request forgery.

A crawl started from Discord must never reach the machine citebot runs on or its network (a cloud
metadata service at 169.254.169.254, an admin page on 127.0.0.1, a database on 10.0.0.5). Three
checks, each on what the HTTP client will actually use:

1. **One spelling of every host.** A URL is read by :func:`client_url` exactly as the HTTP client
   (aiohttp, through yarl) reads it: IDNA with the UTS #46 mapping, which folds full-width digits,
   ideographic full stops and circled digits (``１２７。０.０.①``) to ASCII. The policy judges that
   spelling, and the request is made with the very URL object that was judged; a host that does not
   normalise is refused.
2. **Literal addresses** are judged by :meth:`AddressPolicy.check_url` before each request,
   redirects included, since every hop is requested on its own.
3. **Names** are resolved through :class:`SafeResolver`, which drops every refused address, and the
   client connects to an address it returned (no second resolution). Every socket is then made by
   :class:`SocketGuard`, which refuses to open one to a refused address whatever path led there.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import logging
import re
import socket
from dataclasses import dataclass, field
from typing import Any

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

from ..errors import CrawlError

logger = logging.getLogger(__name__)

SCHEMES = ("http", "https")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
REFUSED = "citebot does not crawl internal addresses"
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# Special-purpose blocks that some Python versions count as global (IANA's registry does not).
_SPECIAL = (ipaddress.ip_network("192.0.0.0/24"), ipaddress.ip_network("64:ff9b:1::/48"))
_NAME = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?", re.IGNORECASE)  # letters, digits, - and _


def address_refusal(address: IPAddress | str) -> str:
    """Why a crawl from Discord may not connect to ``address`` ("a loopback address"), or "" when
    it may: only globally routable unicast addresses are allowed. An IPv4-mapped IPv6 address
    (``::ffff:127.0.0.1``) is judged as the IPv4 address it carries; a text that is not an address
    is refused."""
    try:
        ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        # Addresses that carry an IPv4 address are judged as that address (mapped, 6to4, Teredo).
        carried = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if carried is None and ip in _NAT64:  # a translator would connect to the IPv4 it carries
            carried = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
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
        (any(ip in network for network in _SPECIAL if network.version == ip.version), "not a public address"),
    )
    return next((reason for refused, reason in checks if refused), "")


def client_url(url: str | URL) -> URL:
    """``url`` as the HTTP client will request it, its host in the one ASCII spelling the client
    connects to (``http://１２７.０.０.１/`` -> ``http://127.0.0.1/``). Raises :class:`CrawlError`
    for a URL whose host cannot be read that way (a character IDNA refuses, such as a zero-width
    space)."""
    try:
        parsed = url if isinstance(url, URL) else URL(url.strip())
        host = parsed.raw_host
    except (ValueError, UnicodeError) as exc:
        raise CrawlError(f"{str(url)[:200]!r} has a host name that cannot be read: {exc}") from None
    if host and _ip_or_none(host) is None and not _NAME.fullmatch(host):
        # ASCII the client passes through as it is ("exa\x00mple", "a b"): no host is spelt so.
        raise CrawlError(f"{str(url)[:200]!r} has a host name that cannot be read: {host[:100]!r}")
    if host and host.endswith(".") and _ip_or_none(host.rstrip(".")) is not None:
        # "127.0.0.1." is an address to the resolver; judged (and requested) without the dot.
        parsed = parsed.with_host(host.rstrip("."))
    return parsed


def _ip_or_none(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _shown(ip: IPAddress) -> str:
    """``ip`` as people write it: an IPv4-mapped address with its IPv4 part dotted."""
    mapped = getattr(ip, "ipv4_mapped", None)
    return f"::ffff:{mapped}" if mapped is not None else str(ip)


def host_key(host: str) -> str:
    """A host as compared with ``allow_hosts``: the client's spelling, lower case, no brackets, no
    final dot (``Docs.Example.org.`` and ``docs.example.org`` are one host; so are ``::1`` and
    ``[0::1]``)."""
    bare = host.strip().strip("[]").rstrip(".")
    ip = _ip_or_none(bare)
    if ip is None:
        with contextlib.suppress(CrawlError):
            bare = (client_url(f"http://{bare}/").raw_host or bare).rstrip(".")
        ip = _ip_or_none(bare)
    return str(ip) if ip is not None else bare.lower()


@dataclass(frozen=True)
class AddressPolicy:
    """Which hosts a crawl may reach. ``public_only`` (crawls started from Discord) refuses every
    address that is not public, except on ``allow_hosts`` (host names or IP addresses the
    operator trusts); the operator's own command line crawls anything it can reach."""

    public_only: bool = True
    allow_hosts: frozenset[str] = field(default_factory=frozenset)

    def allowed_host(self, host: str) -> bool:
        """Whether ``host`` is exempt from the address checks (never true when checks are off)."""
        return host_key(host) in {host_key(allowed) for allowed in self.allow_hosts}

    def allowed_addresses(self) -> frozenset[str]:
        """The IP addresses named literally in ``allow_hosts``, as a socket sees them."""
        found = (_ip_or_none(host_key(allowed)) for allowed in self.allow_hosts)
        return frozenset(str(ip) for ip in found if ip is not None)

    def check_url(self, url: str | URL) -> URL:
        """The URL to request for ``url`` (see :func:`client_url`), after checking it: raises
        :class:`CrawlError` when it is not http(s), has no host, or its host is a literal IP
        address that is refused. Host names are checked when resolved (:class:`SafeResolver`)."""
        target = client_url(url)
        if target.scheme not in SCHEMES:
            raise CrawlError(f"only http:// and https:// addresses can be crawled, not {str(url)[:200]!r}")
        host = target.raw_host
        if not host:
            raise CrawlError(f"{str(url)[:200]!r} has no host name")
        if not self.public_only or self.allowed_host(host):
            return target
        ip = _ip_or_none(host)
        if ip is None:
            return target  # a name: checked on every address it resolves to (SafeResolver)
        reason = address_refusal(ip)
        if reason:
            raise CrawlError(f"{_shown(ip)} is {reason}; {REFUSED}")
        return target


class SocketGuard:
    """The connector's socket factory: the last check, made on the address a socket is about to
    connect to, so no way of reaching the client (a literal, a name, a redirect) can open a socket
    to a refused address. Addresses the operator allowed, literally or through an allowed name
    (:meth:`SafeResolver.resolve` adds those), pass."""

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy
        self.allowed: set[str] = set(policy.allowed_addresses())
        self.refused: list[str] = []

    def __call__(self, addr_info: tuple[Any, ...]) -> socket.socket:
        family, kind, proto, _, sockaddr = addr_info
        address = str(sockaddr[0]).split("%", 1)[0]
        if self.policy.public_only and address not in self.allowed:
            reason = address_refusal(address)
            if reason:
                self.refused.append(f"{address} is {reason}")
                logger.warning("refused a connection to %s (%s)", address, reason)
                raise OSError(errno.EACCES, f"{address} is {reason}; {REFUSED}")
        return socket.socket(family, kind, proto)


class SafeResolver(AbstractResolver):
    """A resolver for aiohttp that hands the client only the addresses ``policy`` allows, so the
    address connected to is always one that was checked (a name that resolves to a public address
    once and to 127.0.0.1 the next time gains nothing)."""

    def __init__(
        self,
        policy: AddressPolicy,
        resolver: AbstractResolver | None = None,
        guard: SocketGuard | None = None,
    ) -> None:
        self.policy = policy
        self.guard = guard
        self._resolver = resolver or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """The addresses of ``host`` that may be connected to; :class:`CrawlError` when none may."""
        found = await self._resolver.resolve(host, port, family)
        if not self.policy.public_only:
            return found
        if self.policy.allowed_host(host):
            if self.guard is not None:  # the operator trusts this name, so its addresses too
                self.guard.allowed.update(result["host"].split("%", 1)[0] for result in found)
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
            raise CrawlError(f"{host} resolves to {reasons[0] if reasons else 'no address'}; {REFUSED}")
        return allowed

    async def close(self) -> None:
        """Release the wrapped resolver."""
        await self._resolver.close()
