"""When to resynchronise a copy from its source service (plain module).

A resync runs from a one-second timer rather than an eager one: at the very
start the RPC reply consumer may not be listening yet and the first reply
would be lost. One attempt per tick, so stopping a service waits for at
most one RPC timeout instead of a loop of retries.
"""
import time


class ResyncSchedule:
    def __init__(self, retry_seconds=5.0, clock=time.monotonic):
        self.retry_seconds = retry_seconds
        self.clock = clock
        self.next_at = 0.0  # as soon as the service starts
        self.last_success = None

    def due(self):
        return self.clock() >= self.next_at

    def succeeded(self, interval_seconds):
        self.last_success = self.clock()
        self.next_at = self.last_success + interval_seconds

    def failed(self):
        self.next_at = self.clock() + self.retry_seconds
