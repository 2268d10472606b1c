"""Which side delivers a channel: the phone, or the relay itself (server-side senders)."""


def phone_delivers(channel: str, smtp_configured: bool) -> bool:
    """tg_bot always goes out from the relay; email does when an SMTP server is configured and
    otherwise through the phone; every other channel through the phone."""
    if channel == "tg_bot":
        return False
    if channel == "email":
        return not smtp_configured
    return True
