"""The fixtures every test module may ask for by name; what tests import (clients, relays,
fakes, waiting) lives in tests/helpers/."""
import pytest

from helpers.phones import connect, frame, hang_up, pair
from helpers.processes import RelayProcess, free_port
from helpers.relays import add_client_and_phone, make_settings, start_relay, stop_relay
from helpers.sending import sending_relay
from helpers.webhooks import LOOPBACK, Receiver


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


@pytest.fixture
async def relay(data_dir):
    running = await start_relay(make_settings(data_dir))
    yield running
    await stop_relay(running)


@pytest.fixture
async def client(relay):
    """A client key for client 'app' and a configured phone 'phone_main'."""
    api = await add_client_and_phone(relay)
    yield api
    api.close()


@pytest.fixture
def relay_process(tmp_path):
    """make(env=None) -> a RelayProcess (not started); every one still running is killed."""
    processes = []

    def make(env=None):
        process = RelayProcess(tmp_path / "proc-data", free_port(), env)
        processes.append(process)
        return process
    yield make
    for process in processes:
        if process.proc is not None and process.proc.poll() is None:
            process.kill()


@pytest.fixture
async def phone(relay, client):
    """A raw device socket of phone_main, past its hello."""
    connection = await connect(relay, (await pair(relay))["access_token"])
    await frame(connection, "hello")
    yield connection
    if connection.protocol is not None:
        await hang_up(connection)


@pytest.fixture
async def hooks(data_dir):
    """A relay that may send webhooks to loopback, and a client 'app' of it."""
    running = await start_relay(make_settings(data_dir, callback_allow_networks=LOOPBACK,
                                              callback_timeout_seconds=10))
    running.client = await running.new_client("app")
    yield running
    running.client.close()
    await stop_relay(running)


@pytest.fixture
def receiver(hooks):
    """A webhook receiver; set up after the relay, so closed (its hung answers released)
    before it."""
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
async def start_sending(data_dir):
    """start(**settings) -> (running, client) as sending_relay gives them; every relay started
    is stopped after the test."""
    started = []

    async def start(**overrides):
        running, client = await sending_relay(data_dir, **overrides)
        started.append((running, client))
        return running, client
    yield start
    for running, client in started:
        client.close()
        await stop_relay(running)
