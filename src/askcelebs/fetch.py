"""Fetching a URL to ingest, without letting a URL reach this machine or its private network (SSRF).

Every TCP connection, the first one and each redirect hop's, goes through `_GuardedBackend.connect_tcp`: the host
is resolved once, every address it resolves to is checked against the `AddressPolicy`, and the socket connects to
an address that was checked, so no second lookup exists for DNS rebinding to change. TLS still verifies the
certificate against the URL's host name (httpcore sends the origin host as SNI and checks it).
Odd spellings of an address (2130706433, 0x7f000001, 127.1, [::ffff:127.0.0.1]) are resolved by the same
getaddrinfo call that would connect, so they are checked as the address they really are.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlparse

import httpcore
import httpx

from .config import Settings
from .errors import InputError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# What ASKCELEBS_URL_ALLOW_PRIVATE opens: an intranet's own servers. Link-local (cloud metadata at 169.254.169.254),
# multicast, unspecified and reserved addresses stay refused unless a CIDR in ASKCELEBS_URL_ALLOW names them.
_INTRANET_KINDS = {"loopback", "private", "shared (CGNAT)", "site-local"}
_HOW_TO_ALLOW = ("set ASKCELEBS_URL_ALLOW_PRIVATE=true for intranet servers, or list the host or a CIDR in "
                 "ASKCELEBS_URL_ALLOW")


def address_kind(ip: IPAddress) -> str | None:
    """Why an address is not on the public internet ('loopback', 'private', ...), or None when it is."""
    if ip.version == 6:
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            kind = address_kind(embedded)
            return f"IPv4-mapped {kind}" if kind else None
        if ip.is_site_local:
            return "site-local"
    checks = (("unspecified", ip.is_unspecified), ("loopback", ip.is_loopback), ("link-local", ip.is_link_local),
              ("multicast", ip.is_multicast), ("shared (CGNAT)", ip.version == 4 and ip in _CGNAT),
              ("reserved", ip.version == 4 and ip.is_reserved), ("private", ip.is_private),
              ("reserved", ip.is_reserved), ("special-purpose", not ip.is_global))
    return next((kind for kind, hit in checks if hit), None)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside ::ffff:a.b.c.d, ::a.b.c.d, 6to4, Teredo and NAT64 forms."""
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if ip.teredo:
        return ip.teredo[1]
    if ip in _NAT64 or (int(ip) >> 32 == 0 and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses a URL may reach: public ones, plus what the user allowed for an intranet."""

    allow_private: bool = False
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    hosts: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, settings: Settings) -> "AddressPolicy":
        networks, hosts = [], set()
        for entry in settings.url_allow:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(entry.lower().rstrip("."))
        return cls(settings.url_allow_private, tuple(networks), frozenset(hosts))

    def refusal(self, host: str, ip: IPAddress) -> str | None:
        """The kind of address when it is refused, else None."""
        kind = address_kind(ip)
        if kind is None or host.lower().rstrip(".") in self.hosts:
            return None
        plain = _embedded_ipv4(ip) if ip.version == 6 else None
        if any(ip in net or (plain is not None and plain in net) for net in self.networks):
            return None
        if self.allow_private and kind.removeprefix("IPv4-mapped ") in _INTRANET_KINDS:
            return None
        return kind


class AddressRefused(Exception):
    """Raised inside the transport; `fetch_html` turns it into an InputError naming the URL and the hop."""

    def __init__(self, host: str, ip: IPAddress, kind: str):
        self.host, self.ip, self.kind = host, ip, kind
        inner = _embedded_ipv4(ip) if ip.version == 6 else None
        address = f"{ip} ({inner})" if inner else str(ip)
        shown = f"{host} is {address}" if host.strip("[]") != str(ip) else address
        article = "an" if kind[0] in "aeiouIU" else "a"
        super().__init__(f"{shown}, {article} {kind} address: refused so that a URL cannot reach this machine or its "
                         f"network; to fetch it, {_HOW_TO_ALLOW}")


class _GuardedBackend(httpcore.SyncBackend):
    """Resolve once, check every address, connect to a checked one."""

    def __init__(self, policy: AddressPolicy):
        self.policy = policy

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options=None) -> httpcore.NetworkStream:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host} ({exc})") from exc
        addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))
        for ip in addresses:
            kind = self.policy.refusal(host, ip)
            if kind:
                raise AddressRefused(host, ip, kind)
        error: Exception = httpcore.ConnectError(f"{host} resolved to no address")
        for ip in addresses:
            try:
                return super().connect_tcp(str(ip), port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error


def guarded_client(settings: Settings, **kwargs) -> httpx.Client:
    """An httpx client whose every connection (redirects included) passes the address policy; no env proxies,
    since a proxy would fetch internal addresses on our behalf."""
    transport = httpx.HTTPTransport(trust_env=False)
    transport._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(trust_env=False),
                                              network_backend=_GuardedBackend(AddressPolicy.from_settings(settings)))
    return httpx.Client(transport=transport, trust_env=False, **kwargs)


def fetch_html(url: str, settings: Settings) -> tuple[str, str]:
    """(html, final URL): GET with a time limit, a redirect limit, a size cap, a content-type check and the
    address policy on every hop."""
    scheme = urlparse(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise InputError(url, f"only http and https URLs are supported, not {scheme or 'this'}:")
    limit = settings.max_bytes
    deadline = time.monotonic() + settings.url_timeout  # httpx's timeout is per read; a slow drip never trips it
    hops: list[str] = []
    try:
        with guarded_client(settings, follow_redirects=True, max_redirects=5, timeout=settings.url_timeout,
                            headers={"User-Agent": "askcelebs/0.1 (+article ingest)"},
                            event_hooks={"request": [lambda req: hops.append(str(req.url))]}) as client:
            with client.stream("GET", url) as resp:
                if resp.status_code >= 400:
                    raise InputError(url, f"returned HTTP {resp.status_code} {resp.reason_phrase}".rstrip())
                ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
                if ctype not in _HTML_TYPES:
                    raise InputError(url, f"returned {ctype or 'no content type'}, not an HTML page")
                declared = int(resp.headers.get("content-length") or 0)
                if declared > limit:
                    raise InputError(url, f"is {declared / 2**20:.1f} MB, over the {settings.max_file_mb:g} MB limit")
                body = bytearray()
                for chunk in resp.iter_bytes():
                    body.extend(chunk)
                    if len(body) > limit:
                        raise InputError(url, f"is over the {settings.max_file_mb:g} MB limit")
                    if time.monotonic() > deadline:
                        raise httpx.ReadTimeout("download took too long")
                encoding = resp.encoding or "utf-8"
                final_url = str(resp.url)
    except AddressRefused as exc:
        hop = f"redirects to {hops[-1]}, and " if len(hops) > 1 else ""
        raise InputError(url, hop + str(exc)) from None
    except httpx.InvalidURL as exc:
        raise InputError(url, f"is not a valid URL ({exc})") from None
    except httpx.TooManyRedirects:
        raise InputError(url, "redirects too many times (a redirect loop?)") from None
    except httpx.TimeoutException:
        raise InputError(url, f"timed out after {settings.url_timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise InputError(url, f"could not be fetched ({type(exc).__name__}: {exc})") from None
    return bytes(body).decode(encoding, errors="replace"), final_url
