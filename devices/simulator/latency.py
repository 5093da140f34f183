"""Per-reply latency models for realistic WAN routers (fixed or lognormal)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from .faults import parse_duration


@dataclass(frozen=True)
class Latency:
    """Added delay before each reply: fixed `median_s`, or lognormal around it."""

    median_s: float
    sigma: float = 0.0  # 0 = fixed

    def sample(self, rng: random.Random = random._inst) -> float:  # type: ignore[attr-defined]
        if self.sigma <= 0:
            return self.median_s
        return rng.lognormvariate(math.log(self.median_s), self.sigma)

    @classmethod
    def parse(cls, text: str | float | None) -> Latency | None:
        """ "50ms" (fixed), "lognormal:80ms" or "lognormal:80ms:0.6" (median, sigma)."""
        if text is None or text == "" or text == 0:
            return None
        if isinstance(text, (int, float)):
            return cls(float(text))
        parts = text.split(":")
        if parts[0] == "lognormal":
            return cls(parse_duration(parts[1]), float(parts[2]) if len(parts) > 2 else 0.5)
        if parts[0] == "fixed":
            parts = parts[1:]
        return cls(parse_duration(parts[0]))
