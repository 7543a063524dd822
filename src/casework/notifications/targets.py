"""Where webhooks may go: public addresses only, checked at save and at every delivery.

An administrator's webhook URL is a request casework makes from inside the network.
Pointed at a private, loopback, link-local (cloud metadata), multicast or reserved
address it would reach what the Internet cannot (server-side request forgery). So:

* the host is resolved and EVERY address it resolves to must be public (``is_global``,
  not multicast); an IPv4-mapped IPv6 address is judged as the IPv4 one;
* the check is repeated at each delivery, and the connection goes to the very address
  that was checked (pinned; TLS still verifies the certificate for the host name), so a
  name that later resolves elsewhere (DNS rebinding) gains nothing;
* redirects are never followed (a 3xx is a failed attempt);
* loopback is allowed only with ``CASEWORK_WEBHOOK_ALLOW_LOOPBACK`` (development and
  test; production refuses to start with it), and then plain ``http`` too.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefused(ValueError):
    """The URL may not be a webhook target; the message says why (never a secret)."""


def refusal(ip: IPAddress, *, allow_loopback: bool) -> str | None:
    """Why this address is refused, or None if it is a public one."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None if allow_loopback else "a loopback address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_link_local:
        return "a link-local address (cloud metadata lives there)"
    if ip.is_unspecified or ip.is_reserved:
        return "a reserved address"
    if ip.is_private or not ip.is_global:
        return "a private or non-public address"
    return None


@dataclass(frozen=True)
class Target:
    url: str  # as saved
    host: str
    port: int
    address: IPAddress  # the checked address the connection goes to

    def pinned_url(self) -> str:
        """The URL with the host replaced by the checked address."""
        parts = urlsplit(self.url)
        literal = f"[{self.address}]" if self.address.version == 6 else str(self.address)
        return urlunsplit(parts._replace(netloc=f"{literal}:{self.port}"))

    @property
    def host_header(self) -> str:
        default = 443 if urlsplit(self.url).scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise TargetRefused(f"the host {host} does not resolve") from exc
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def check(url: str, *, allow_loopback: bool) -> Target:
    """The target to connect to, or TargetRefused."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http"):
        raise TargetRefused("the URL must be https")
    if not parts.hostname:
        raise TargetRefused("the URL must name a host")
    if parts.username or parts.password:
        raise TargetRefused("the URL must not carry credentials")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise TargetRefused("the URL has an invalid port") from exc
    addresses = resolve(parts.hostname, port)
    if not addresses:
        raise TargetRefused(f"the host {parts.hostname} does not resolve")
    for address in addresses:
        reason = refusal(address, allow_loopback=allow_loopback)
        if reason:
            raise TargetRefused(f"the host {parts.hostname} resolves to {reason}")
    if parts.scheme == "http" and not all(_loopback(a) for a in addresses):
        raise TargetRefused("the URL must be https (plain http only for this machine)")
    return Target(url=url, host=parts.hostname, port=port, address=addresses[0])


def _loopback(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback
