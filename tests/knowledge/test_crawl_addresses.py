"""The crawler's address check against every spelling of an internal address: hosts written with
Unicode digits and dots (full-width, ideographic, circled, mathematical) are read as the HTTP client
reads them, so ``１２７.０.０.１`` is refused as 127.0.0.1 is; and every socket is checked again as it
is opened, so a hole in the first check still reaches nothing."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from site_server import docs_site, serve

from knowledge.crawl import AddressPolicy, CrawlSettings, address_refusal, crawl_site_blocking
from knowledge.crawl.safety import SocketGuard, client_url
from knowledge.crawl.scope import Site, normalise
from knowledge.errors import CrawlError

FROM_DISCORD = CrawlSettings(requests_per_second=0, timeout=0.5)

# Characters that the HTTP client's IDNA (UTS #46) mapping folds to an ASCII digit or dot.
DIGITS = {
    str(d): [str(d), chr(0xFF10 + d), chr(0x1D7CE + d), chr(0x1D7EC + d), chr(0x245F + d) if d else "⓪"]
    for d in range(10)
}
DOTS = [".", "。", "．", "｡"]

INTERNAL_V4 = [
    "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "0.0.0.0/8",
    "100.64.0.0/10", "224.0.0.0/4", "240.0.0.0/4", "198.18.0.0/15", "192.0.0.0/24",
]
INTERNAL_V6 = ["::1/128", "fc00::/7", "fe80::/10", "ff00::/8", "::/128", "2001:db8::/32"]


@pytest.fixture
def site():
    with serve(docs_site()) as served:
        yield served


def port(site) -> str:
    return site.base.rsplit(":", 1)[1]


@pytest.mark.parametrize(
    ("spelling", "address"),
    [
        ("１２７.０.０.１", "127.0.0.1"),  # full-width digits
        ("127。0。0。1", "127.0.0.1"),  # ideographic full stops
        ("①②⑦.⓪.⓪.①", "127.0.0.1"),  # circled digits
        ("１２７．０．０．１", "127.0.0.1"),  # full-width full stops
        ("𝟏𝟐𝟕.0.0.1", "127.0.0.1"),  # mathematical bold digits
        ("１６９.２５４.１６９.２５４", "169.254.169.254"),
        ("１０.0.0.5", "10.0.0.5"),
        ("０.０.０.０", "0.0.0.0"),
        ("127.0.0.1.", "127.0.0.1"),  # a final dot
    ],
)
def test_an_internal_address_written_in_unicode_is_refused_and_never_requested(
    site, tmp_path, spelling, address
):
    url = f"http://{spelling}:{port(site)}/docs/"
    assert Site.from_url(url).host == f"{address}:{port(site)}"  # one spelling, the client's
    with pytest.raises(CrawlError, match=f"{address} is .*citebot does not crawl internal addresses"):
        crawl_site_blocking(url, tmp_path, FROM_DISCORD)
    assert site.requests == []  # not robots.txt, not a sitemap, not the page
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("url", ["http://\u200b127.0.0.1/docs/", "http://exa\u0000mple.org/"])
def test_a_host_that_does_not_normalise_is_refused_with_its_reason(url):
    with pytest.raises(CrawlError, match="cannot be read"):
        Site.from_url(url)
    with pytest.raises(CrawlError, match="cannot be read"):
        AddressPolicy().check_url(url)
    assert normalise(url) == ""  # a link to it in a page is never followed


def test_the_operator_allows_a_host_however_it_is_written(site, tmp_path):
    policy = AddressPolicy(allow_hosts=frozenset({"１２７.０.０.１"}))
    allowed = CrawlSettings(requests_per_second=0, timeout=0.5, policy=policy)
    report = crawl_site_blocking(f"http://127.0.0.1:{port(site)}/docs/", tmp_path, allowed)
    assert len(report.added) >= 5


def test_every_socket_is_checked_even_if_the_url_check_let_an_address_through(site, tmp_path, monkeypatch):
    # A hole in the first check (the URL) is closed by the last (the socket): nothing is requested.
    monkeypatch.setattr(AddressPolicy, "check_url", lambda self, url: client_url(url))
    refused = r"127\.0\.0\.1 is a loopback address; citebot does not crawl internal"
    with pytest.raises(CrawlError, match=refused):
        crawl_site_blocking(f"http://127.0.0.1:{port(site)}/docs/", tmp_path, FROM_DISCORD)
    assert site.requests == []


def spelled(address: str, draw) -> str:
    """``address`` (dotted IPv4) with each digit and dot drawn from the characters that fold to it."""
    return "".join(draw(st.sampled_from(DOTS if ch == "." else DIGITS[ch])) for ch in address)


@st.composite
def internal_ipv4(draw) -> str:
    network = ipaddress.IPv4Network(draw(st.sampled_from(INTERNAL_V4)))
    offset = draw(st.integers(0, network.num_addresses - 1))
    return str(network.network_address + offset)


@st.composite
def internal_ipv6(draw) -> str:
    kind = draw(st.sampled_from(["network", "mapped", "6to4", "nat64"]))
    if kind == "network":
        network = ipaddress.IPv6Network(draw(st.sampled_from(INTERNAL_V6)))
        return str(network.network_address + draw(st.integers(0, min(network.num_addresses, 2**64) - 1)))
    v4 = int(ipaddress.IPv4Address(draw(internal_ipv4())))
    prefix = {"mapped": 0xFFFF << 32, "6to4": 0x2002 << 112 | v4 << 80, "nat64": 0x64FF9B << 96}[kind]
    return str(ipaddress.IPv6Address(prefix | (v4 if kind != "6to4" else 0)))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_property_no_unicode_spelling_of_an_internal_ipv4_address_passes(data):
    address = data.draw(internal_ipv4())
    url = f"http://{spelled(address, data.draw)}/page"
    with pytest.raises(CrawlError, match="citebot does not crawl internal addresses"):
        AddressPolicy().check_url(url)
    # The site's own spelling is the client's: the policy and the request see one host.
    assert Site.from_url(url).host == address


@settings(max_examples=300)
@given(internal_ipv6(), st.booleans())
def test_property_no_internal_ipv6_address_passes(address, upper):
    literal = address.upper() if upper else address
    with pytest.raises(CrawlError, match="citebot does not crawl internal addresses"):
        AddressPolicy().check_url(f"http://[{literal}]/page")
    assert address_refusal(address)
    with pytest.raises(OSError, match="citebot does not crawl internal addresses"):
        SocketGuard(AddressPolicy())((10, 1, 6, "", (address, 80, 0, 0)))


@settings(max_examples=300)
@given(internal_ipv4())
def test_property_the_socket_guard_refuses_every_internal_ipv4_address(address):
    with pytest.raises(OSError, match="citebot does not crawl internal addresses"):
        SocketGuard(AddressPolicy())((2, 1, 6, "", (address, 80)))


@settings(max_examples=200)
@given(st.data())
def test_property_whatever_passes_the_check_is_a_name_or_a_public_address(data):
    # Any host made of digits and dots in any Unicode form: what the policy lets through is
    # either a name (judged again on every address it resolves to) or a public address.
    parts = data.draw(st.lists(st.integers(0, 255), min_size=1, max_size=5))
    url = f"http://{spelled('.'.join(map(str, parts)), data.draw)}/"
    try:
        checked = AddressPolicy().check_url(url)
    except CrawlError:
        return
    try:
        ip = ipaddress.ip_address(checked.raw_host)
    except ValueError:
        return  # a name such as "127.1", refused by the resolver on 127.0.0.1
    assert address_refusal(ip) == ""


URL_TEXT = st.builds(
    "{}://{}{}/{}".format,
    st.sampled_from(["http", "https", "HTTP", "ftp", ""]),
    st.text(alphabet=st.sampled_from([*"ab1.-_:[]@%", *DOTS, *DIGITS["1"], "\u200b", "ß", "Ⅸ"]), max_size=20),
    st.sampled_from(["", ":80", ":8080", ":８０"]),
    st.text(max_size=10),
)


@settings(max_examples=400)
@given(URL_TEXT)
def test_property_a_link_is_requested_exactly_as_it_was_judged(url):
    # Whatever a page links to: normalising is stable, and the host the policy judges is the host
    # the site's bounds compare and the client connects to.
    spelling = normalise(url)
    if not spelling:
        return
    assert normalise(spelling) == spelling
    site = Site.from_url(spelling)
    checked = AddressPolicy(public_only=False).check_url(spelling)
    host = f"[{checked.raw_host}]" if ":" in checked.raw_host else checked.raw_host
    assert site.host == host or site.host.startswith(host + ":")
