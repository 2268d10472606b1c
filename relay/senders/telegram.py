"""tg_bot: the Telegram Bot API's sendMessage (chat_id = the message's `to`) with the message's
bot token, through a configurable API base URL. 429 (with its retry_after) and 5xx answers and
network trouble are transient; other refusals (400 chat not found, 401, 403 blocked) permanent.

The token is part of the URL, so no URL is ever logged or put in an error; an error text that
somehow holds it has it masked."""
import json
import urllib.parse

import tornado.httpclient
import tornado.simple_httpclient

from relay.config import ConfigError
from relay.senders.policy import SENT, Outcome, permanent, transient

TRANSIENT_CODES = (429,)      # and every 5xx


def _api_base(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"telegram_api_base: {url!r} is not an http(s) URL")
    return url.rstrip("/")


class TelegramSender:
    channel = "tg_bot"

    def __init__(self, settings):
        self.base = _api_base(settings.telegram_api_base)
        self.timeout = float(settings.telegram_timeout_seconds)
        self.max_clients = settings.telegram_concurrency
        self._http = None            # made on the IOLoop, at the first message

    def close(self) -> None:
        if self._http is not None:
            self._http.close()

    async def send(self, message: dict, token: str) -> Outcome:
        if self._http is None:
            self._http = tornado.simple_httpclient.SimpleAsyncHTTPClient(
                force_instance=True, max_clients=self.max_clients)
        body = json.dumps({"chat_id": message["to"], "text": message["text"]})
        try:
            response = await self._http.fetch(
                f"{self.base}/bot{token}/sendMessage", method="POST", body=body,
                headers={"Content-Type": "application/json"}, raise_error=False,
                connect_timeout=self.timeout, request_timeout=self.timeout)
        except tornado.httpclient.HTTPClientError as error:   # 599: timed out or dropped
            return transient(_masked(f"the Bot API did not answer: {error}", token))
        except OSError as error:     # refused, unreachable, name not resolved
            return transient(_masked(f"could not reach the Bot API: {error}", token))
        return _outcome(response.code, response.body, token)


def _outcome(code: int, body: bytes, token: str) -> Outcome:
    try:
        answer = json.loads(body)
    except ValueError:
        answer = {}
    if not isinstance(answer, dict):
        answer = {}
    if 200 <= code < 300 and answer.get("ok") is True:
        return SENT
    description = answer.get("description") or f"HTTP {code}"
    error = _masked(f"Telegram {code}: {description}", token)
    if code in TRANSIENT_CODES or code >= 500 or 200 <= code < 300:
        parameters = answer.get("parameters")
        retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
        valid = isinstance(retry_after, (int, float)) and not isinstance(retry_after, bool)
        return transient(error, float(retry_after) if valid and retry_after >= 0 else None)
    return permanent(error)


def _masked(text: str, token: str) -> str:
    return text.replace(token, "<bot_token>")
