"""interrupt.py: whose Ctrl-C handler runs while the model works (the kill itself: test_crash.py)."""

from __future__ import annotations

import signal
import threading

from jekyll_asr.interrupt import _exit_now, exit_on_interrupt


def test_the_handler_is_set_only_inside_the_block() -> None:
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with exit_on_interrupt():
        assert signal.getsignal(signal.SIGINT) is _exit_now
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_programs_own_handler_is_left_alone() -> None:
    def mine(signum, frame):
        pass

    previous = signal.signal(signal.SIGINT, mine)
    try:
        with exit_on_interrupt():
            assert signal.getsignal(signal.SIGINT) is mine
    finally:
        signal.signal(signal.SIGINT, previous)


def test_outside_the_main_thread_nothing_changes() -> None:
    seen = []

    def work() -> None:
        with exit_on_interrupt():
            seen.append(signal.getsignal(signal.SIGINT))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert seen == [signal.default_int_handler]
