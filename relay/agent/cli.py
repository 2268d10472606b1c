"""The phone agent's program: `relay phone` on the relay's machine, and the single file the
relay serves for a phone (`python relay-agent.pyz`, relay/phones/agent_file.py). It runs the
agent (relay/agent/agent.py) with one backend (relay/agent/backends/) until stopped or until
the relay ends the phone's access."""
import argparse
import asyncio
import json
import logging
import signal
import sys

from relay.agent.agent import Agent, AgentStopped
from relay.agent.backends.simulator import DEFAULT_CONTACTS, Simulator

BACKENDS = ("simulator", "termux", "modem")
FILE_NAME = "relay-agent.pyz"      # the name the relay serves it under


def add_arguments(phone) -> None:
    """The options of `relay phone` and of the served agent file (the same program)."""
    phone.add_argument("--relay", help="the relay's URL (default: the one saved in --state)")
    phone.add_argument("--pairing-code", help="pair with this code (else use saved credentials)")
    phone.add_argument("--state", default="./relay-phone",
                       help="folder for the phone's credentials and journal (./relay-phone)")
    phone.add_argument("--backend", choices=BACKENDS,
                       help="how to deliver: simulator, termux (an Android phone with "
                            "Termux:API) or modem (a USB modem through Gammu)")
    phone.add_argument("--simulate", action="store_const", const="simulator", dest="backend",
                       help="short for --backend simulator")
    phone.add_argument("--poll-seconds", type=float, default=15.0,
                       help="termux, modem: seconds between looks for what came in (15)")
    phone.add_argument("--command-timeout", type=float, default=30.0,
                       help="termux: seconds a Termux:API command may take (30)")
    phone.add_argument("--gammurc", help="modem: Gammu's configuration file naming the "
                                         "device (default: Gammu's own search)")
    phone.add_argument("--gammu-section", type=int, default=0,
                       help="modem: the gammurc section to use (0: [gammu])")
    phone.add_argument("--delay", type=float, default=0.05,
                       help="simulator: seconds to 'send' a message")
    phone.add_argument("--failure-rate", type=float, default=0.0,
                       help="share of messages that fail, 0 to 1")
    phone.add_argument("--inbound-per-minute", type=float, default=0.0,
                       help="rate of made-up incoming messages and calls")
    phone.add_argument("--contacts", default=",".join(DEFAULT_CONTACTS),
                       help="comma-separated numbers and @users the inbound events come from")
    phone.add_argument("--sent-log", help="append the id of every message 'sent' to this file")
    phone.add_argument("--seed", type=int, help="random seed, for repeatable runs")


def make_backend(args):
    if args.backend == "termux":
        from relay.agent.backends.termux import Termux
        return Termux(args.state, poll_seconds=args.poll_seconds,
                      timeout=args.command_timeout)
    if args.backend == "modem":
        from relay.agent.backends.modem import Modem
        return Modem(args.state, gammurc=args.gammurc, section=args.gammu_section,
                     poll_seconds=args.poll_seconds)
    return Simulator(delay=args.delay, failure_rate=args.failure_rate,
                     inbound_per_minute=args.inbound_per_minute,
                     contacts=[c.strip() for c in args.contacts.split(",") if c.strip()],
                     sent_log=args.sent_log, seed=args.seed)


async def run_agent(make_agent) -> None:
    """Runs the agent make_agent() builds (inside the loop) until SIGTERM or SIGINT, or until the
    relay ends its access; prints a JSON line at each connection."""
    agent = make_agent()
    task = asyncio.ensure_future(agent.run())
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, agent.stop)

    async def announce():
        while True:
            await agent.connected.wait()
            print(json.dumps({"event": "connected", "phone_id": agent.phone_id}), flush=True)
            while agent.connected.is_set():
                await asyncio.sleep(0.1)
    announcer = asyncio.ensure_future(announce())
    try:
        await task
    except asyncio.CancelledError:
        pass
    finally:
        announcer.cancel()
        agent.close()


def run(args, program: str = "relay phone") -> int:
    if args.backend is None:
        print(f"{program}: choose a backend: --backend termux|modem|simulator "
              "(--simulate is short for the simulator)", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        backend = make_backend(args)
    except (ImportError, OSError) as error:
        print(f"{program}: the {args.backend} backend cannot start: {error}", file=sys.stderr)
        return 1
    try:
        asyncio.run(run_agent(lambda: Agent(backend, args.relay, args.state, args.pairing_code)))
    except (ValueError, AgentStopped) as error:
        print(f"{program}: {error}", file=sys.stderr)
        return 1
    finally:
        backend.close()
    return 0


def main(argv=None) -> int:
    """The served agent file's entry point."""
    parser = argparse.ArgumentParser(prog=FILE_NAME,
                                     description="Relay's phone agent: pairs with a relay and "
                                                 "delivers its messages")
    add_arguments(parser)
    return run(parser.parse_args(argv), FILE_NAME)
