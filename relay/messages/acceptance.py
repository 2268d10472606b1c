"""Accepting send objects as the API answers them, the same for POST /api/v1/messages and for
each item of POST /api/v1/messages/batch: the checks against what the relay holds now, the
writer operation, and the answer once it is committed."""
import asyncio
import datetime as dt

from relay.core.errors import ApiError, bad_request
from relay.core.routing import phone_delivers
from relay.core.statuses import QUEUED
from relay.core.timefmt import iso
from relay.messages import queries, validate
from relay.messages.operations import Accepted, AcceptMessage
from relay.messages.schedule import expires_at


class Acceptance:
    """One request's client, on the relay that serves it."""

    def __init__(self, relay, client_id: str, key_id: str):
        self.relay, self.client_id, self.key_id = relay, client_id, key_id

    def operation(self, body, header_key: str | None = None) -> AcceptMessage:
        """The operation that accepts a send object; ApiError when it is not one this relay
        can take."""
        relay, settings = self.relay, self.relay.settings
        request = validate.message_request(
            body, header_key, settings.default_region, bool(settings.strict_phone_numbers),
            dt.timedelta(days=settings.schedule_horizon_days))
        if request.phone_id not in relay.state.phones:
            raise ApiError(404, "unknown_phone", f"no phone '{request.phone_id}' is configured",
                           "phone_id")
        if request.sim is not None and not phone_delivers(request.channel,
                                                          bool(settings.smtp_host)):
            raise bad_request("sim", f"'sim' is a phone's SIM slot; this relay sends "
                              f"{request.channel} itself", "not_allowed")
        if request.idempotency_key is None or relay.state.idempotency(
                (self.client_id, request.idempotency_key)) is None:
            # A repeat of what was accepted is answered as such, whatever the phone says now.
            relay.devices.check_channel(request.phone_id, request.channel)
        return AcceptMessage(request, self.client_id, self.key_id, relay.secret_box)

    async def answers(self, accepted: list[tuple[AcceptMessage, Accepted]]
                      ) -> list[tuple[int, dict]]:
        """(HTTP status, answer) of each committed operation: 202 for a new message, 200 for
        a repeat of an accepted one (its status read now, for all repeats in one read)."""
        repeats = [result.message_id for _, result in accepted if result.duplicate]
        statuses = await self.relay.store.read(queries.message_statuses, repeats) if repeats \
            else {}
        answered = [self._answer(op, result, statuses) for op, result in accepted]
        # With sync_delivery_ms, an email or tg_bot delivery that ends in time is answered
        # with its outcome (status sent or failed) instead of queued: those answers wait
        # together. Only they are tasks: one per send would cost the hot path a loop turn.
        senders = self.relay.senders
        waiting = [(answer, result.message_id, op.request.channel)
                   for (status, answer), (op, result) in zip(answered, accepted)
                   if status == 202 and senders.waits(op.request.channel)]
        if waiting:
            outcomes = await asyncio.gather(*(senders.settled(message_id, channel)
                                              for _, message_id, channel in waiting))
            for (answer, _, _), outcome in zip(waiting, outcomes):
                answer.update(outcome)
        return answered

    def _answer(self, op: AcceptMessage, accepted: Accepted,
                statuses: dict) -> tuple[int, dict]:
        request = op.request
        answer = {"message_id": accepted.message_id, "idempotency_key": request.idempotency_key,
                  "encoding": op.parts and op.parts.encoding,
                  "segments": op.parts and op.parts.segments}
        if accepted.duplicate:
            return 200, {**answer, "duplicate": True, "status": statuses[accepted.message_id]}
        return 202, {**answer, "status": QUEUED, **self.relay.devices.offline_notice(
            request.phone_id, request.channel), **self._timing(request, accepted)}

    def _timing(self, request, accepted: Accepted) -> dict:
        """When an accepted message may go and expires, and its priority."""
        goes_at = request.send_at or accepted.created_at
        return {"scheduled_for": iso(request.send_at),
                "expires_at": iso(expires_at(goes_at, request.ttl_seconds, request.expires_at,
                                             self.relay.devices.ttl)),
                "priority": request.priority or "normal"}
