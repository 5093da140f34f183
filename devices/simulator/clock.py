"""The simulator's clock: wall time that can run faster than real time for tests."""

from __future__ import annotations

import threading
import time


class SimClock:
    """Simulated epoch seconds = start + elapsed real seconds x speed.

    Scheduler intervals, uptimes and counters use this clock, so a test with speed=60 sees
    a one-minute scheduler interval fire every real second.
    """

    def __init__(self, speed: float = 1.0, start: float | None = None) -> None:
        self.speed = float(speed)
        self.start = time.time() if start is None else float(start)
        self._mono0 = time.monotonic()

    def now(self) -> float:
        return self.start + (time.monotonic() - self._mono0) * self.speed

    def real_seconds(self, sim_seconds: float) -> float:
        """How long to really wait for `sim_seconds` of simulated time."""
        return sim_seconds / self.speed if self.speed > 0 else sim_seconds

    def sleep(self, sim_seconds: float, stop: threading.Event | None = None) -> bool:
        """Sleep `sim_seconds` of simulated time; False if `stop` was set meanwhile."""
        real = max(0.0, self.real_seconds(sim_seconds))
        if stop is None:
            time.sleep(real)
            return True
        return not stop.wait(real)
