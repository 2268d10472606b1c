"""Address ranges as the settings give them: the proxies trusted to name a client, the private
networks webhooks may reach."""
import ipaddress


def parse_networks(text: str) -> tuple:
    """'10.0.0.0/8, ::1/128' -> networks; raises ValueError naming the bad entry."""
    networks = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"not a network in CIDR form: {part!r}") from None
    return tuple(networks)
