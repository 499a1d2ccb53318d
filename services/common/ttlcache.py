"""A small time-bounded cache for reads from other services."""
import time


class TtlCache:
    def __init__(self, seconds, max_entries=10000, clock=time.monotonic):
        self.seconds = seconds
        self.max_entries = max_entries
        self.clock = clock
        self.entries = {}

    def get(self, key, load):
        """The cached value of `key`, or `load()` (errors are not cached)."""
        now = self.clock()
        hit = self.entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = load()
        if len(self.entries) >= self.max_entries:
            self.entries = {k: v for k, v in self.entries.items() if v[0] > now}
            if len(self.entries) >= self.max_entries:
                self.entries.clear()
        self.entries[key] = (now + self.seconds, value)
        return value
