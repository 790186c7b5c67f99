"""The sweep lease: one holder at a time, renewals, release, and takeover after a holder
stops renewing — between threads of one process and between processes."""
from __future__ import annotations

import multiprocessing as mp
import random
import time

from civicloop.ops.lease import LeaseHolder, current_holder

TTL = 0.6


def test_one_holder_renewal_release_and_expiry(engine):
    first, second = LeaseHolder(engine, "job", ttl=TTL), LeaseHolder(engine, "job", ttl=TTL)
    assert first.acquire() and first.held
    assert not second.acquire() and not second.held
    assert first.acquire()  # a renewal
    assert current_holder(engine, "job")[0] == first.holder
    first.release()
    assert current_holder(engine, "job") is None
    assert second.acquire()
    assert not first.acquire()
    time.sleep(TTL + 0.1)  # the holder went silent: its lease runs out
    assert not second.held
    assert first.acquire() and current_holder(engine, "job")[0] == first.holder
    other = LeaseHolder(engine, "another job", ttl=TTL)
    assert other.acquire()  # leases of other jobs are independent


def _contend(url: str, seconds: float, seed: int, out) -> None:
    """Ask for the lease in a loop; now and then fall silent for longer than the lease
    (as a holder that died would) and come back. Reports (holder, start, good_until)
    for every successful acquisition, on the system-wide monotonic clock."""
    from civicloop.db import make_engine

    engine = make_engine(url)
    lease = LeaseHolder(engine, "contended", ttl=TTL)
    rng = random.Random(seed)
    held, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        if lease.acquire():
            held.append((lease.holder, time.monotonic(), lease.good_until))
            if rng.random() < 0.3:
                time.sleep(TTL * 1.5)  # "dies" holding it: never releases
                continue
        time.sleep(rng.uniform(0.01, TTL / 4))
    out.put(held)
    engine.dispose()


def test_processes_contending_hold_it_one_at_a_time(database_url):
    context = mp.get_context("spawn")
    out = context.Queue()
    processes = [context.Process(target=_contend, args=(database_url, 3.0, seed, out)) for seed in range(3)]
    for p in processes:
        p.start()
    spans = [span for _ in processes for span in out.get(timeout=60)]
    for p in processes:
        p.join(10)
    holders = {holder for holder, _, _ in spans}
    assert len(holders) >= 2, "the lease never changed hands"
    spans.sort(key=lambda s: s[1])
    # merge each holder's consecutive renewals, then no two holders' spans may overlap
    merged: list[list] = []
    for holder, start, until in spans:
        if merged and merged[-1][0] == holder and start <= merged[-1][2]:
            merged[-1][2] = max(merged[-1][2], until)
        else:
            merged.append([holder, start, until])
    for before, after in zip(merged, merged[1:]):
        assert before[0] == after[0] or before[2] <= after[1], f"two holders at once: {before} and {after}"
    assert sum(1 for a, b in zip(merged, merged[1:]) if a[0] != b[0]) >= 2  # taken over more than once
