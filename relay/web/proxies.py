"""The address a request comes from. Behind a reverse proxy every request arrives from the
proxy, which names the client in X-Forwarded-For (or X-Real-IP); anyone can send those
headers, so they are believed only from the proxies the `trusted_proxies` setting names."""
import ipaddress

from relay.config import ConfigError
from relay.core.networks import parse_networks


def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


class TrustedProxies:
    def __init__(self, networks_text: str):
        try:
            self.networks = parse_networks(networks_text)
        except ValueError as error:
            raise ConfigError(f"trusted_proxies: {error}") from None

    def _trusted(self, address) -> bool:
        return any(address in network for network in self.networks)

    def client_address(self, peer: str, headers) -> str:
        """The peer's address, or the client a trusted proxy forwards for: in
        X-Forwarded-For, the nearest hop that is not itself a trusted proxy (hops further
        left were written by the client and prove nothing)."""
        if not self.networks:
            return peer
        client = _address(peer)
        if client is None or not self._trusted(client):
            return peer
        if "X-Forwarded-For" in headers:
            for hop in reversed(headers["X-Forwarded-For"].split(",")):
                address = _address(hop)
                if address is None:
                    break
                client = address
                if not self._trusted(address):
                    break
        elif "X-Real-Ip" in headers:
            client = _address(headers["X-Real-Ip"]) or client
        return str(client)
