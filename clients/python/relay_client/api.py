"""Every call of Relay's API, written once as a Call. Relay (relay_client.sync) runs each call and
returns its result; AsyncRelay (relay_client.aio) returns an awaitable, and an async iterator
for the lists."""
from __future__ import annotations

import os
import uuid
from typing import Any, Iterable, Mapping, Optional, Sequence
from urllib.parse import quote

from relay_client.calls import Call, Pages, fields
from relay_client.retry import RetryPolicy, policy_of

DEFAULT_URL = "http://127.0.0.1:5110"
MESSAGES = "/api/v1/messages"
PHONES = "/api/v1/phones"
CALLBACKS = "/api/v1/webchat/callbacks/inbound"
QUERY = "/api/v1/webchat/inbound/query"
RULES = "/api/v1/webchat/inbound/rules"
CONTACTS = "/api/v1/contacts"
VERSION = "0.1.0"


def settings(url: Optional[str], key: Optional[str], retry) -> tuple:
    """(base URL, headers, RetryPolicy) from the arguments, else RELAY_URL and RELAY_API_KEY."""
    url = (url or os.environ.get("RELAY_URL") or DEFAULT_URL).rstrip("/")
    key = key or os.environ.get("RELAY_API_KEY")
    if not key:
        raise ValueError("no client key: pass key=... or set RELAY_API_KEY "
                         "(make one with `relay keys create --name NAME`)")
    headers = {"Authorization": f"Bearer {key}", "User-Agent": f"relay-client-python/{VERSION}"}
    return url, headers, policy_of(retry)


def with_idempotency_key(message: Mapping) -> dict:
    """The send body of a message, with a random idempotency key when it has none: made before
    the first try, so that every retry of it is the same request to the relay."""
    body = fields(**message)
    body.setdefault("idempotency_key", str(uuid.uuid4()))
    return body


def segment(value: str) -> str:
    return quote(value, safe="")


def _key(name: str):
    return lambda answer: answer[name]


class Methods:
    retry: RetryPolicy

    def _run(self, call: Call) -> Any:
        raise NotImplementedError

    def _iterate(self, pages: Pages) -> Any:
        raise NotImplementedError

    # -- messages ------------------------------------------------------------------------------

    def send(self, *, phone_id: str, channel: str, text: str, to: Optional[str] = None,
             subject: Optional[str] = None, title: Optional[str] = None,
             source: Optional[str] = None, tags: Optional[Sequence[str]] = None,
             sim: Optional[int] = None, bot_token: Optional[str] = None,
             status_callback_url: Optional[str] = None, idempotency_key: Optional[str] = None,
             send_at=None, ttl_seconds: Optional[int] = None, expires_at=None,
             priority: Optional[str] = None):
        """Queues a message (POST /api/v1/messages) -> Accepted. send_at and expires_at take an
        aware datetime or an ISO-8601 string with an offset. Without idempotency_key a random
        one is used, the same for every retry; the answer says which."""
        return self._run(Call("POST", MESSAGES, body=with_idempotency_key(dict(
            phone_id=phone_id, channel=channel, to=to, text=text, subject=subject, title=title,
            source=source, tags=tags, sim=sim, bot_token=bot_token,
            status_callback_url=status_callback_url, idempotency_key=idempotency_key,
            send_at=send_at, ttl_seconds=ttl_seconds, expires_at=expires_at,
            priority=priority))))

    def send_batch(self, messages: Iterable[Mapping]):
        """Queues up to 1000 messages in one request (POST /api/v1/messages/batch) -> a list
        of BatchResult in the same order. Each message is a mapping of send()'s fields; one
        without an idempotency key gets a random one, so a retried batch makes no repeats."""
        body = {"messages": [with_idempotency_key(message) for message in messages]}
        return self._run(Call("POST", MESSAGES + "/batch", body=body, result=_key("results")))

    def get_message(self, message_id: str):
        """A message with its status history (GET /api/v1/messages/{id}) -> Message."""
        return self._run(Call("GET", f"{MESSAGES}/{segment(message_id)}",
                              result=_key("message")))

    def list_messages(self, *, status: Optional[str] = None, channel: Optional[str] = None,
                      phone_id: Optional[str] = None, source: Optional[str] = None,
                      since=None, until=None, page_size: Optional[int] = None):
        """Every message of the client that matches, newest first, page after page -> an
        iterator of Message (sync) or an async iterator (AsyncRelay)."""
        params = fields(status=status, channel=channel, phone_id=phone_id, source=source,
                        since=since, until=until, limit=page_size)
        return self._iterate(Pages(Call("GET", MESSAGES, params=params), "messages"))

    def cancel(self, message_id: str):
        """Cancels a message that has not gone to a phone yet
        (POST /api/v1/messages/{id}/cancel) -> Message, failed with last_error "cancelled"."""
        return self._run(Call("POST", f"{MESSAGES}/{segment(message_id)}/cancel",
                              result=_key("message")))

    def reschedule(self, message_id: str, send_at):
        """Moves a waiting message to another time (PATCH /api/v1/messages/{id}) -> Message."""
        return self._run(Call("PATCH", f"{MESSAGES}/{segment(message_id)}",
                              body=fields(send_at=send_at), result=_key("message")))

    # -- response rules (docs/alerts.md) ------------------------------------------------------

    def create_rule(self, rule: Mapping):
        """A response rule: which inbound events need a reply within how many minutes
        (within_minutes, the query's filters, office_hours, notify, callback_url) -> Rule."""
        return self._run(Call("POST", RULES, body=dict(rule), result=_key("rule")))

    def list_rules(self):
        """The client's response rules -> list of Rule."""
        return self._run(Call("GET", RULES, result=_key("rules")))

    def get_rule(self, rule_id: str):
        return self._run(Call("GET", f"{RULES}/{segment(rule_id)}", result=_key("rule")))

    def replace_rule(self, rule_id: str, rule: Mapping):
        """The rule's whole new definition (fields left out take their defaults) -> Rule."""
        return self._run(Call("PUT", f"{RULES}/{segment(rule_id)}", body=dict(rule),
                              result=_key("rule")))

    def delete_rule(self, rule_id: str):
        """Deletes a rule; its open deadlines alert no one -> its id."""
        return self._run(Call("DELETE", f"{RULES}/{segment(rule_id)}", result=_key("deleted")))

    # -- phones --------------------------------------------------------------------------------

    def list_phones(self):
        """The configured phones and their connection (GET /api/v1/phones) -> list of Phone."""
        return self._run(Call("GET", PHONES, result=_key("phones")))

    def get_phone(self, phone_id: str):
        return self._run(Call("GET", f"{PHONES}/{segment(phone_id)}", result=_key("phone")))

    # -- the webchat inbound query -------------------------------------------------------------

    def query(self, *, phone_id: Optional[str] = None, range: Optional[str] = None,
              from_=None, to=None, tz: Optional[str] = None,
              channels: Optional[Sequence[str]] = None,
              event_types: Optional[Sequence[str]] = None,
              tags: Optional[Sequence[str]] = None, tag_mode: Optional[str] = None,
              source_contains: Optional[str] = None, min_duration_sec: Optional[int] = None,
              max_duration_sec: Optional[int] = None, has_response: Optional[bool] = None,
              waiting: Optional[bool] = None, sort: Optional[str] = None,
              limit: Optional[int] = None):
        """What came in and went out (POST /api/v1/webchat/inbound/query) -> InboundQuery,
        every section typed. `from_` is the API's `from`."""
        body = fields(phone_id=phone_id, range=range, to=to, tz=tz, channels=channels,
                      event_types=event_types, tags=tags, tag_mode=tag_mode,
                      source_contains=source_contains, min_duration_sec=min_duration_sec,
                      max_duration_sec=max_duration_sec, has_response=has_response,
                      waiting=waiting, sort=sort, limit=limit, **{"from": from_})
        return self._run(Call("POST", QUERY, body=body))

    def export(self, format: str, section: str = "events", **filters):
        """One list section as a download (csv, parquet, xlsx or json) -> bytes; filters are
        query()'s."""
        if "from_" in filters:
            filters["from"] = filters.pop("from_")
        body = fields(format=format, section=section, **filters)
        return self._run(Call("POST", QUERY, body=body, raw=True))

    # -- callbacks (webhooks) ------------------------------------------------------------------

    def register_callback(self, callback_url: str, *,
                          channels: Optional[Sequence[str]] = None,
                          event_types: Optional[Sequence[str]] = None,
                          source_filter: Optional[str] = None,
                          keyword_filter: Optional[str] = None,
                          min_duration_sec: Optional[int] = None,
                          max_duration_sec: Optional[int] = None,
                          callback_token: Optional[str] = None, active: Optional[bool] = None):
        """Registers (or replaces) the callback for callback_url -> Registration, with the
        signing secret: keep it, it is shown only here. event_types=[] takes status callbacks
        only."""
        body = fields(callback_url=callback_url, channels=channels, event_types=event_types,
                      source_filter=source_filter, keyword_filter=keyword_filter,
                      min_duration_sec=min_duration_sec, max_duration_sec=max_duration_sec,
                      callback_token=callback_token, active=active)
        return self._run(Call("POST", CALLBACKS, body=body))

    def list_callbacks(self):
        """The client's callbacks, never their secret or token -> list of Callback."""
        return self._run(Call("GET", CALLBACKS, result=_key("callbacks")))

    def delete_callback(self, id: Optional[str] = None, *, callback_url: Optional[str] = None):
        """Deletes a callback by id or by URL; its pending deliveries are cancelled -> its id."""
        which = fields(id=id, callback_url=callback_url)
        if len(which) != 1:
            raise ValueError("give either id or callback_url")
        return self._run(Call("DELETE", CALLBACKS, params=which, result=_key("deleted")))

    def list_deliveries(self, *, callback_id: Optional[str] = None,
                        status: Optional[str] = None, message_id: Optional[str] = None,
                        page_size: Optional[int] = None):
        """The webhook deliveries log, newest first, page after page -> iterator of Delivery."""
        params = fields(callback_id=callback_id, status=status, message_id=message_id,
                        limit=page_size)
        return self._iterate(Pages(Call("GET", CALLBACKS + "/deliveries", params=params),
                                   "deliveries"))

    def redeliver(self, delivery_id: str):
        """Sends a delivery again now, with the same webhook-id and body."""
        return self._run(Call("POST", f"{CALLBACKS}/deliveries/{segment(delivery_id)}/redeliver"))

    # -- contacts ------------------------------------------------------------------------------

    def set_contact(self, address: str, *, name: Optional[str] = None,
                    tags: Optional[Sequence[str]] = None):
        """Sets a contact's whole entry -> Contact."""
        return self._run(Call("POST", CONTACTS, body=fields(address=address, name=name,
                                                            tags=tags), result=_key("contact")))

    def get_contact(self, address: str):
        return self._run(Call("GET", CONTACTS, params={"address": address},
                              result=lambda answer: answer["contacts"][0]))

    def list_contacts(self, *, tag: Optional[str] = None, page_size: Optional[int] = None):
        """The address book by address, page after page -> iterator of Contact."""
        return self._iterate(Pages(Call("GET", CONTACTS, params=fields(tag=tag, limit=page_size)),
                                   "contacts", cursor="next_after", param="after"))

    def delete_contact(self, address: str):
        return self._run(Call("DELETE", CONTACTS, params={"address": address}))

