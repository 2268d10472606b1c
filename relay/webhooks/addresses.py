"""Which addresses a webhook may be sent to, and a resolver that enforces it on the address
the HTTP client actually connects to, so a name that resolves (or later re-resolves: DNS
rebinding) to a private address is refused."""
import ipaddress
import socket

from tornado.netutil import DefaultLoopResolver, Resolver

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class RefusedAddress(Exception):
    """The target is (or resolves to) an address webhooks must not reach."""


def _embedded_ipv4(address: Address) -> Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64), if any."""
    if address.version != 6:
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


class AddressPolicy:
    """Public unicast addresses only (no loopback, private, link-local, CGNAT, metadata or
    other special ranges), plus the networks the operator allows."""

    def __init__(self, allowed_networks=()):
        self.allowed_networks = tuple(allowed_networks)

    def allows(self, address: Address) -> bool:
        if any(address in network for network in self.allowed_networks
               if network.version == address.version):
            return True
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return self.allows(embedded)
        # is_global is False for private, loopback, link-local (169.254.169.254 included),
        # CGNAT 100.64/10, unique-local and the other special-purpose ranges.
        return address.is_global and not address.is_multicast

    def check(self, address: Address, host: str) -> None:
        if not self.allows(address):
            raise RefusedAddress(f"{host} is {address}, a loopback, private, link-local or "
                                 "otherwise non-public address")


class UnresolvedHost(OSError):
    """The target's name does not resolve (now: it is tried again like any failed attempt)."""


class GuardedResolver(Resolver):
    """Resolves like the loop's getaddrinfo, then refuses any address the policy does not
    allow; Tornado connects only to the addresses this returns."""

    def initialize(self, policy: AddressPolicy):
        self.policy = policy
        self.resolver = DefaultLoopResolver()

    async def resolve(self, host: str, port: int, family=socket.AF_UNSPEC):
        try:
            results = await self.resolver.resolve(host, port, family)
        except socket.gaierror as error:
            raise UnresolvedHost(f"the host {host} does not resolve ({error.strerror})") from None
        for _family, sockaddr in results:
            self.policy.check(ipaddress.ip_address(sockaddr[0].split("%")[0]), host)
        return results

    def close(self):
        self.resolver.close()
