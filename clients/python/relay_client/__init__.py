"""A client of Relay's REST API: Relay (blocking) and AsyncRelay (asyncio), errors as RelayError,
retries that cannot send twice, and verify_webhook for the relay's signed deliveries."""
from relay_client.aio import AsyncRelay
from relay_client.api import VERSION as __version__
from relay_client.errors import RelayError, WebhookVerificationError
from relay_client.retry import NO_RETRIES, RetryPolicy
from relay_client.sync import Relay
from relay_client.webhooks import verify_webhook

__all__ = ["AsyncRelay", "NO_RETRIES", "Relay", "RelayError", "RetryPolicy",
           "WebhookVerificationError", "verify_webhook", "__version__"]
