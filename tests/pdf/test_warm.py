"""LibreOffice pools lent from job to job (senforms.pdf.warm), without LibreOffice: fake pools."""

from __future__ import annotations

import threading
import time

import pytest

from senforms.pdf.warm import WarmConverters


class FakePool:
    made = 0

    def __init__(self) -> None:
        FakePool.made += 1
        self.number = FakePool.made
        self.closed = False

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def warm():
    converters = WarmConverters(make=FakePool)  # type: ignore[arg-type]
    yield converters
    converters.close()


def test_the_next_batch_gets_the_pool_the_last_one_gave_back(warm):
    with warm.lend() as first:
        pass
    with warm.lend() as second:
        assert second is first and not second.closed
    assert warm.idle() == 1


def test_a_pool_whose_batch_failed_is_closed_not_lent_again(warm):
    with pytest.raises(ValueError), warm.lend() as broken:
        raise ValueError("LibreOffice hung")
    assert broken.closed and warm.idle() == 0
    with warm.lend() as fresh:
        assert fresh is not broken


def test_two_batches_at_once_get_a_pool_each_and_both_are_kept(warm):
    inside = threading.Barrier(2)
    lent = []

    def batch() -> None:
        with warm.lend() as pool:
            lent.append(pool)
            inside.wait(timeout=5)

    threads = [threading.Thread(target=batch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert lent[0] is not lent[1] and warm.idle() == 2


def test_idle_pools_are_closed_after_the_idle_time():
    converters = WarmConverters(idle_seconds=0.2, make=FakePool)  # type: ignore[arg-type]
    with converters.lend() as pool:
        pass
    assert converters.close_idle() == 0 and not pool.closed  # not idle long enough yet
    deadline = time.monotonic() + 5
    while not pool.closed and time.monotonic() < deadline:  # the reaper looks every second
        time.sleep(0.1)
    assert pool.closed and converters.idle() == 0
    converters.close()


def test_closing_closes_idle_pools_and_the_ones_still_lent_when_given_back(warm):
    with warm.lend() as busy:
        with warm.lend() as idle:
            pass
        warm.close()
        assert idle.closed and not busy.closed  # a batch still running keeps its pool
    assert busy.closed
    with pytest.raises(RuntimeError, match="closed"), warm.lend():
        pass
