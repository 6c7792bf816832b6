"""What a limit check costs (web.auth.Limiter.reserve: the account's and the unit's latest events of
an action, read from the audit log) on a SQLite store whose audit log holds 200,000 events over 90
days (50 accounts and units), with the audit indexes of migration 10 and, in the same run, without
them (as the store was before).

    python scripts/bench_limits.py
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from datetime import datetime, timedelta

from sqlalchemy import text

from sheetsync.history.store import open_store
from sheetsync.history.store.web_models import AuditEvent
from sheetsync.web.auth import Limiter, Ticket
from sheetsync.web.config import DEFAULT_LIMITS
from sheetsync.web.state import WebState

EVENTS, CHECKS = 200_000, 500


def checks(limiter: Limiter) -> tuple[float, float]:
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(CHECKS):
        got = limiter.reserve("sync", f"u{i % 50}", f"Phòng {i % 50}")
        if isinstance(got, Ticket):
            got.done()
    return (time.perf_counter() - t0) / CHECKS * 1000, (time.process_time() - c0) / CHECKS * 1000


def main() -> None:
    random.seed(1)
    store = open_store(os.path.join(tempfile.mkdtemp(prefix="bench-limits-"), "sheetsync.db"))
    now = datetime.now()
    actions = ["sync", "download", "login", "upload", "queue-sync"]
    rows = [{"at": now - timedelta(minutes=random.random() * 60 * 24 * 90), "username": f"u{i % 50}",
             "action": random.choice(actions), "target": f"Phòng {i % 50}", "ip": "127.0.0.1", "detail": "ok"}
            for i in range(EVENTS)]
    with store.engine.begin() as c:
        c.execute(AuditEvent.__table__.insert(), rows)
    limiter = Limiter(WebState(store), DEFAULT_LIMITS)
    checks(limiter)  # warm
    wall, cpu = checks(limiter)
    print(f"with the indexes: {wall:.2f} ms wall, {cpu:.2f} ms CPU per check")
    with store.engine.begin() as c:
        c.execute(text("DROP INDEX ix_web_audit_user"))
        c.execute(text("DROP INDEX ix_web_audit_target"))
    wall0, cpu0 = checks(limiter)
    print(f"without them:     {wall0:.2f} ms wall, {cpu0:.2f} ms CPU per check (CPU {cpu0 / cpu:.0f}x)")
    store.close()


if __name__ == "__main__":
    main()
