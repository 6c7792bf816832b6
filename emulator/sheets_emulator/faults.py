"""Fault injection: quota exhaustion, server errors, dropped connections, latency.

Real Google fails in these ways under load; code that syncs a whole office's
evaluations must survive them.  The error bodies are Google's: the Sheets 429
is the ``RESOURCE_EXHAUSTED`` status with an ``ErrorInfo`` detail naming the
read or write quota, exactly what retry logic inspects.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, fields
from typing import Any

PROJECT_NUMBER = "764086051850"


@dataclass
class FaultConfig:
    """What to break.  All off by default."""

    quota_per_minute: int | None = None  # 429 past N API requests in a rolling 60 s window
    error_rate: float = 0.0  # probability of a 500/503 with Google's error JSON
    drop_rate: float = 0.0  # probability of closing the connection without any response
    latency_ms: float = 0.0  # added before every API response
    seed: int | None = None  # makes error/drop decisions reproducible

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault option(s): {', '.join(sorted(unknown))}")
        config = cls(**data)
        config.validate()
        return config

    def validate(self) -> None:
        if self.quota_per_minute is not None and self.quota_per_minute < 0:
            raise ValueError("quota_per_minute must be >= 0")
        for name in ("error_rate", "drop_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.latency_ms < 0:
            raise ValueError("latency_ms must be >= 0")


@dataclass
class Fault:
    """A decision for one request: drop it, or answer ``status`` with ``body``."""

    drop: bool = False
    status: int = 0
    body: dict[str, Any] | None = None


class FaultInjector:
    """Decides per request which fault (if any) applies; thread-safe."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self._lock = threading.Lock()
        self._window: deque[float] = deque()
        self.configure(config or FaultConfig())

    def configure(self, config: FaultConfig) -> None:
        config.validate()
        with self._lock:
            self.config = config
            self._rng = random.Random(config.seed)
            self._window.clear()

    def latency(self) -> float:
        return self.config.latency_ms / 1000.0

    def decide(self, kind: str, api: str) -> Fault | None:
        """``kind`` is read/write/drive; ``api`` is "sheets" or "drive" (error dialect)."""
        with self._lock:
            config = self.config
            if config.drop_rate and self._rng.random() < config.drop_rate:
                return Fault(drop=True)
            if config.quota_per_minute is not None:
                now = time.monotonic()
                while self._window and now - self._window[0] >= 60.0:
                    self._window.popleft()
                if len(self._window) >= config.quota_per_minute:
                    return Fault(status=429, body=quota_body(kind, api, config.quota_per_minute))
                self._window.append(now)
            if config.error_rate and self._rng.random() < config.error_rate:
                status = 500 if self._rng.random() < 0.5 else 503
                return Fault(status=status, body=server_error_body(status, api))
        return None


def quota_body(kind: str, api: str, limit: int) -> dict[str, Any]:
    if api == "drive":
        return {
            "error": {
                "code": 429,
                "message": "Rate Limit Exceeded",
                "errors": [{"message": "Rate Limit Exceeded", "domain": "usageLimits", "reason": "rateLimitExceeded"}],
            }
        }
    metric = "Write" if kind == "write" else "Read"
    message = (
        f"Quota exceeded for quota metric '{metric} requests' and limit '{metric} requests per minute per user' "
        f"of service 'sheets.googleapis.com' for consumer 'project_number:{PROJECT_NUMBER}'."
    )
    return {
        "error": {
            "code": 429,
            "message": message,
            "status": "RESOURCE_EXHAUSTED",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "RATE_LIMIT_EXCEEDED",
                    "domain": "googleapis.com",
                    "metadata": {
                        "quota_location": "global",
                        "quota_metric": f"sheets.googleapis.com/{metric.lower()}_requests",
                        "quota_limit": f"{metric}RequestsPerMinutePerUser",
                        "quota_limit_value": str(limit),
                        "consumer": f"projects/{PROJECT_NUMBER}",
                        "service": "sheets.googleapis.com",
                    },
                },
                {
                    "@type": "type.googleapis.com/google.rpc.Help",
                    "links": [
                        {
                            "description": "Request a higher quota limit.",
                            "url": "https://cloud.google.com/docs/quotas/help/request_increase",
                        }
                    ],
                },
            ],
        }
    }


def server_error_body(status: int, api: str) -> dict[str, Any]:
    if api == "drive":
        message, reason = ("Internal Error", "internalError") if status == 500 else ("Backend Error", "backendError")
        return {"error": {"code": status, "message": message, "errors": [{"message": message, "domain": "global", "reason": reason}]}}
    if status == 500:
        return {"error": {"code": 500, "message": "Internal error encountered.", "status": "INTERNAL"}}
    return {"error": {"code": 503, "message": "The service is currently unavailable.", "status": "UNAVAILABLE"}}
