"""ClassFollower (issue 12 item 4) with a fake fetch and a settable clock: only a
valid class message is kept, an old one is stale, a move calls on_change, it polls
only while a page looks and the computer is linked."""

from __future__ import annotations

import threading
from typing import Any

from escape_home import messages
from escape_home.participant import class_follow
from escape_home.participant.class_follow import ClassFollower, ClassView


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def body(phase: str = messages.STATION, seq: int = 2, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "phase": phase,
        "seq": seq,
        "server_time": 1_700_000_000.0,
        "class_id": 7,
        "leader": "Alice",
        "stations": ["squat", "sit_to_stand"],
        "station": 0,
        "exercise": "squat",
        "next_exercise": "sit_to_stand",
        "others": 3,
    }
    out.update(extra)
    return out


class Fetch:
    def __init__(self) -> None:
        self.answer: Any = (200, body())
        self.calls = 0

    def __call__(self) -> tuple[int, Any]:
        self.calls += 1
        if isinstance(self.answer, Exception):
            raise self.answer
        result: tuple[int, Any] = self.answer
        return result


def test_a_valid_message_is_kept_with_its_defaults() -> None:
    fetch, clock = Fetch(), Clock()
    f = ClassFollower(fetch, clock=clock)
    assert f.latest() is None and not f.fresh()
    fetch.answer = (200, {"phase": "gathering", "seq": 1, "server_time": 5.0})
    view = f.poll_once()
    assert view is not None and view.phase == messages.GATHERING and view.live
    assert view.message["shown"] == [] and view.message["station"] is None
    assert f.latest() is view and f.fresh()


def test_an_invalid_message_is_refused_and_the_last_kept() -> None:
    fetch, clock = Fetch(), Clock()
    f = ClassFollower(fetch, clock=clock)
    good = f.poll_once()
    assert good is not None and good.seq == 2
    for bad in (
        {"phase": "dancing", "seq": 3, "server_time": 1.0},
        body(seq=-1),
        body(leader="Al\u202eice"),  # text-direction character in a shown name
        body(shown=[{"nickname": "Bob", "reps": 10001}]),
        body(surprise=True),
        [1, 2],
        None,
    ):
        fetch.answer = (200, bad)
        assert f.poll_once() is None
        assert f.latest() is good
        assert f.last_error and "refused" in f.last_error
    fetch.answer = (500, {"error": "boom"})
    assert f.poll_once() is None and f.latest() is good
    assert f.last_error == "the server answered 500"
    fetch.answer = OSError("no route to host")
    assert f.poll_once() is None and f.latest() is good
    assert f.last_error == "no route to host"


def test_an_old_answer_is_stale() -> None:
    fetch, clock = Fetch(), Clock()
    f = ClassFollower(fetch, clock=clock)
    f.poll_once()
    clock.t += class_follow.FRESH_S - 0.1
    assert f.fresh()
    fetch.answer = OSError("offline")
    f.poll_once()
    clock.t += 0.2
    assert not f.fresh()  # offline: the last answer grows old
    assert f.fresh(max_age_s=30.0)
    f.forget()
    assert f.latest() is None and not f.fresh(max_age_s=30.0)


def test_on_change_is_called_for_each_move_only() -> None:
    fetch, clock = Fetch(), Clock()
    seen: list[ClassView] = []
    f = ClassFollower(fetch, clock=clock, on_change=seen.append)
    f.poll_once()
    f.poll_once()  # the same move again: no call
    assert [v.seq for v in seen] == [2]
    fetch.answer = (200, body(phase=messages.REST, seq=3, exercise=None, others=5))
    f.poll_once()
    fetch.answer = (200, body(phase=messages.REST, seq=3, exercise=None, others=6))
    f.poll_once()  # only the count changed: the same move
    assert [(v.seq, v.phase) for v in seen] == [(2, "station"), (3, "rest")]
    fetch.answer = (200, body(seq=3, class_id=8))  # a new class run counts afresh
    f.poll_once()
    assert [v.message["class_id"] for v in seen] == [7, 7, 8]
    assert f.latest() is not None and f.latest().message["others"] == 3  # type: ignore[union-attr]


def test_it_polls_only_while_a_page_looks_and_linked() -> None:
    fetch, clock = Fetch(), Clock()
    f = ClassFollower(fetch, clock=clock, poll_s=0.01)
    assert not f.active()
    f.touch()
    assert f.active()
    clock.t += class_follow.ACTIVE_S + 0.1
    assert not f.active()

    linked = threading.Event()
    stop = threading.Event()
    polled = threading.Event()
    real = ClassFollower(lambda: (polled.set(), (200, body()))[1], poll_s=0.01)
    thread = threading.Thread(target=real.run, args=(stop, linked.is_set))
    thread.start()
    try:
        real.touch()
        assert not polled.wait(0.2)  # looked at, but not linked: never asks
        linked.set()
        assert polled.wait(5.0)  # linked and looked at: asks
        assert real.latest() is not None
    finally:
        stop.set()
        thread.join(5.0)
    assert not thread.is_alive()
