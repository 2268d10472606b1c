"""Helpers of the phone channel's tests: pairing over the real API, raw websocket connections,
and the reference agent with its simulator running in the test's loop."""
import asyncio
import json

import tornado.httpclient
import tornado.websocket

from relay.agent.agent import Agent
from relay.agent.backends.simulator import Simulator


async def pairing_code(relay, phone_id="phone_main") -> str:
    return (await relay.api.admin("phones.pair", phone_id=phone_id))["pairing_code"]


async def pair(relay, phone_id="phone_main") -> dict:
    """Tokens for the phone, got with a fresh pairing code."""
    status, grant = await relay.api.post("/api/v1/device/pair",
                                         {"pairing_code": await pairing_code(relay, phone_id)})
    assert status == 200, grant
    return grant


def ws_url(relay) -> str:
    return "ws" + relay.base_url[len("http"):] + "/api/v1/device/ws"


async def connect(relay, token: str, query: str = ""):
    """A raw device socket; raises HTTPClientError when the upgrade is refused."""
    request = tornado.httpclient.HTTPRequest(ws_url(relay) + query,
                                             headers={"Authorization": f"Bearer {token}"})
    return await tornado.websocket.websocket_connect(request)


async def frame(connection, kind: str | None = None, timeout: float = 5) -> dict:
    """The next frame (of the given type, skipping others such as hello)."""
    while True:
        raw = await asyncio.wait_for(connection.read_message(), timeout)
        assert raw is not None, f"closed: {connection.close_code} {connection.close_reason}"
        received = json.loads(raw)
        if kind is None or received["type"] == kind:
            return received


async def hang_up(connection) -> None:
    """Closes a raw device socket and waits until it is closed."""
    connection.close()
    await closed(connection)


async def closed(connection, timeout: float = 5) -> int:
    """Reads until the server closes the socket; its close code."""
    while await asyncio.wait_for(connection.read_message(), timeout) is not None:
        pass
    connection.close()      # releases the client's side (Tornado warns otherwise)
    return connection.close_code


async def message_status(client, message_id: str) -> str:
    _, body = await client.get(f"/api/v1/messages/{message_id}")
    return body["message"]["status"]


class RunningAgent:
    """The reference agent with a simulator, paired to the relay and connected."""

    def __init__(self, agent: Agent, task: asyncio.Task):
        self.agent, self.task = agent, task
        self.backend = agent.backend

    async def stop(self):
        self.agent.stop()
        await asyncio.gather(self.task, return_exceptions=True)
        self.agent.close()


async def start_agent(relay, state_dir=None, phone_id="phone_main", backend=None,
                      **simulator) -> RunningAgent:
    """backend: the agent's backend; else a Simulator made with **simulator."""
    agent = Agent(backend or Simulator(**{"delay": 0, **simulator}), relay.base_url, state_dir,
                  pairing_code=await pairing_code(relay, phone_id))
    task = asyncio.ensure_future(agent.run())
    await asyncio.wait_for(agent.connected.wait(), 10)
    return RunningAgent(agent, task)
