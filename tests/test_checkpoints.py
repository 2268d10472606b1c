"""The write-ahead log is checkpointed when the writer is idle, not in the middle of a burst
(a checkpoint stalls commits for 100-300 ms): after a burst, the log is folded into the
database file within a second, and everything sent reads back, also after a restart."""
import asyncio
import time

from helpers.relays import Api, make_settings, sms, start_relay, stop_relay
from relay.store.database import DB_FILE


async def test_an_idle_writer_checkpoints_the_log(data_dir):
    # 1 MB: the idle checkpoint comes at 64 KB of log
    settings = make_settings(data_dir, checkpoint_wal_mb=1)
    running = await start_relay(settings)
    wal = data_dir / (DB_FILE + ".wal")
    try:
        client = await running.new_client("app")
        await running.api.admin("phones.add", phone_id="phone_main")
        sent = []
        for batch in range(6):
            answers = await asyncio.gather(*[
                client.post("/api/v1/messages", sms(text=f"burst {batch}-{i} " + "x" * 200))
                for i in range(50)])
            assert all(status == 202 for status, _ in answers)
            sent += [body["message_id"] for _, body in answers]
        assert wal.exists() and wal.stat().st_size > 64 * 1024
        deadline = time.monotonic() + 5
        while wal.exists() and wal.stat().st_size > 64 * 1024 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert not wal.exists() or wal.stat().st_size <= 64 * 1024
        key = client.key
    finally:
        await stop_relay(running)

    running = await start_relay(settings)
    try:
        client = Api(running.base_url, key=key)
        status, last = await client.get(f"/api/v1/messages/{sent[-1]}")
        assert status == 200 and last["message"]["text"].startswith("burst 5-49")
        status, listed = await client.get("/api/v1/messages?limit=500")
        assert status == 200 and len(listed["messages"]) == len(sent)
        client.close()
    finally:
        await stop_relay(running)
