"""One real relay with a simulated phone for the whole run (starting one takes a few seconds),
and the clients and loopback servers the tests ask for."""
import pytest

from loopback import Receiver, RelayWithPhone
from relay_client import AsyncRelay, Relay


@pytest.fixture(scope="session")
def relay(tmp_path_factory):
    running = RelayWithPhone(tmp_path_factory.mktemp("relay")).start()
    yield running
    running.stop()


@pytest.fixture
def client(relay):
    with Relay(relay.url, relay.key) as client:
        yield client


@pytest.fixture
async def aclient(relay):
    async with AsyncRelay(relay.url, relay.key) as client:
        yield client


@pytest.fixture
def receiver():
    receiving = Receiver()
    yield receiving
    receiving.close()
