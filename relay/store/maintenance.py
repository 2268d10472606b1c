"""Housekeeping that must run on the writer thread, which owns the in-memory state."""
from relay.store.writer import Operation


class ForgetIdempotencyKeys(Operation):
    def stage(self, batch):
        batch.state.forget_old_idempotency_keys()
