"""`relay demo`: the relay with a simulated phone `phone_main` already paired, narrating each
message's way (queued, sending, sent) and each inbound event, so a newcomer can try the API
with one curl command."""
import asyncio
import json

from relay.admin import actions
from relay.agent.agent import Agent
from relay.agent.backends.simulator import Simulator
from relay.store.events import InboundRecorded, MessageAccepted, MessageAttempt, MessageStatus

PHONE = "phone_main"
CLIENT = "demo"


def add_command(commands) -> None:
    demo = commands.add_parser("demo", help="run the relay with a simulated phone, paired")
    demo.add_argument("--delay", type=float, default=1.0,
                      help="seconds the simulated phone takes to send (1)")
    demo.add_argument("--inbound-per-minute", type=float, default=4.0,
                      help="made-up incoming messages and calls per minute (4)")
    demo.set_defaults(run=run)


def _client_key(relay) -> str:
    """A fresh key for the demo client: created, or rotated when an earlier demo made one."""
    if any(k.client_id == CLIENT for k in relay.state.keys.values()):
        return actions.keys_rotate(relay, CLIENT, grace="1s")["key"]
    return actions.keys_create(relay, CLIENT)["key"]


def _pairing_code(relay) -> str:
    if PHONE not in relay.state.phones:
        return actions.phones_add(relay, PHONE)["pairing_code"]
    return actions.phones_pair(relay, PHONE)["pairing_code"]


def _narrate(bus) -> None:
    def say(text):
        print(text, flush=True)
    bus.subscribe(MessageAccepted, lambda m: say(
        f"  {m.message_id}  queued   {m.channel} to {m.to or PHONE}"))
    bus.subscribe(MessageStatus, lambda m: say(
        f"  {m.message_id}  {m.status:<8} {m.error or ''}".rstrip()))
    bus.subscribe(MessageAttempt, lambda a: say(
        f"  {a.message_id}  retry    attempt {a.attempt} failed: {a.error}; next "
        f"attempt at {a.next_attempt_at:%H:%M:%S} UTC"))
    bus.subscribe(InboundRecorded, lambda e: say(
        f"  inbound {e.channel} from {e.source}: {e.text}" if e.event_type == "message"
        else f"  inbound {e.event_type} call from {e.source} ({e.duration_sec} s)"))


def _instructions(url: str, key: str) -> str:
    body = json.dumps({"phone_id": PHONE, "channel": "sms", "to": "+12025550143",
                       "text": "Hello from Relay"})
    return (f"Relay demo on {url} with the simulated phone '{PHONE}' paired.\n"
            f"Send a message:\n\n  curl -s {url}/api/v1/messages -H 'Authorization: Bearer {key}' "
            f"-H 'Content-Type: application/json' -d '{body}'\n\n"
            f"Phones: curl -s {url}/api/v1/phones -H 'Authorization: Bearer {key}'\n"
            "Ctrl-C stops.\n")


async def _main(settings, args) -> None:
    from relay.server import Server, admin_url
    server = Server(settings)
    relay = server.relay
    loop = asyncio.get_running_loop()     # the actions wait on the writer: not on the loop
    key = await loop.run_in_executor(None, _client_key, relay)
    code = await loop.run_in_executor(None, _pairing_code, relay)
    _narrate(relay.bus)
    simulator = Simulator(delay=args.delay, inbound_per_minute=args.inbound_per_minute)
    agent = Agent(simulator, admin_url(settings), settings.data_dir / "demo-phone",
                  pairing_code=code)
    phone = asyncio.ensure_future(agent.run())
    print(_instructions(settings.url, key), flush=True)
    try:
        await server.run()
    finally:
        phone.cancel()
        await asyncio.gather(phone, return_exceptions=True)
        agent.close()


def run(args, settings) -> int:
    asyncio.run(_main(settings, args))
    return 0
