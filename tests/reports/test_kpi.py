"""Every figure of the hand-built day (tests/reports/day.py) checked by hand arithmetic."""

from __future__ import annotations

import pytest

from softswitch.reports.kpi import ALL, AgentFigures, QueueFigures, ReportOptions, compute
from softswitch.storage.events import Event

from .day import T0, day_events

H = 3600.0


def _day(**options: object) -> tuple[dict[tuple[str, float | None], QueueFigures],
                                     dict[tuple[str, float | None], AgentFigures]]:
    report = compute(day_events(), ReportOptions(start=T0, end=T0 + 2 * H,
                                                 **options))  # type: ignore[arg-type]
    return ({(q.queue, q.interval): q for q in report.queues},
            {(a.agent, a.interval): a for a in report.agents})


def test_queue_figures_for_the_whole_period() -> None:
    queues, _ = _day()
    sales = queues[("sales", None)]
    assert (sales.offered, sales.answered, sales.abandoned, sales.short_abandoned) == \
        (4, 2, 2, 1)
    # c1 waited 10 s (within 20), c2 30 s; c3's 3 s abandon is short, c4's 60 s is not
    assert sales.answered_in_sl == 1
    assert sales.service_level == pytest.approx(1 / (2 + 2 - 1))
    assert sales.abandon_rate == pytest.approx((2 - 1) / (4 - 1))
    assert sales.asa == pytest.approx((10 + 30) / 2)
    # talk 200 + 300, wrap-up 30 + 30, two calls
    assert sales.aht == pytest.approx((200 + 300 + 30 + 30) / 2)
    assert (sales.talk, sales.hold, sales.wrap, sales.handled) == (500, 30, 60, 2)
    assert sales.longest_wait == 60
    assert sales.transfer_rate == pytest.approx(1 / 2)
    assert sales.satisfaction == pytest.approx((5 + 3) / 2)
    assert dict(sales.scores) == {5: 1, 3: 1}

    support = queues[("support", None)]
    # c5 answered after 120 s; c6 overflowed to a callback after 100 s, answered as one
    assert (support.offered, support.answered, support.overflowed, support.abandoned) == \
        (2, 1, 1, 0)
    assert support.service_level == 0.0          # 0 within 20 s / (1 + 0 - 0)
    assert support.abandon_rate == 0.0           # 0 / 2
    assert support.asa == 120
    assert (support.callbacks_requested, support.callbacks_dialed,
            support.callbacks_answered, support.callbacks_failed) == (1, 1, 1, 0)
    # c5: 300 + 30, the callback c6: 100 + 30
    assert support.aht == pytest.approx((300 + 30 + 100 + 30) / 2)
    assert support.longest_wait == 120
    assert support.satisfaction == 4

    total = queues[(ALL, None)]
    assert (total.offered, total.answered, total.abandoned, total.short_abandoned) == \
        (6, 3, 2, 1)
    assert total.service_level == pytest.approx(1 / (3 + 2 - 1))
    assert total.asa == pytest.approx((10 + 30 + 120) / 3)
    assert total.aht == pytest.approx((500 + 60 + 330 + 130) / 4)


def test_queue_figures_per_hour_follow_the_arrival_time() -> None:
    queues, _ = _day(interval=H)
    assert set(queues) == {("sales", T0), ("support", T0), ("support", T0 + H),
                           (ALL, T0), (ALL, T0 + H)}
    # c5 arrived at 09:58:20 and was answered at 10:00:20: it belongs to 09:00
    early = queues[("support", T0)]
    assert (early.offered, early.answered, early.handled) == (1, 1, 1)
    late = queues[("support", T0 + H)]
    assert (late.offered, late.answered, late.overflowed, late.callbacks_answered) == \
        (1, 0, 1, 1)
    assert late.service_level is None            # nothing answered or abandoned
    assert late.asa is None
    assert queues[(ALL, T0)].offered == 5


def test_short_abandon_threshold_and_service_level_target_are_options() -> None:
    queues, _ = _day(short_abandon=2.0, sl_seconds=30.0)
    sales = queues[("sales", None)]
    assert sales.short_abandoned == 0
    # both answered within 30 s; both abandons count
    assert sales.service_level == pytest.approx(2 / (2 + 2))
    assert sales.abandon_rate == pytest.approx(2 / 4)


def test_agent_call_figures() -> None:
    _, agents = _day()
    a1 = agents[("a1", None)]
    assert (a1.answered, a1.handled) == (2, 3)   # c1, c5 and the callback c6
    assert a1.aht == pytest.approx((200 + 300 + 100 + 30 * 3) / 3)
    assert a1.no_answers == 1
    assert a1.satisfaction == pytest.approx((5 + 4) / 2)
    assert a1.mos == pytest.approx(4.2)
    a2 = agents[("a2", None)]
    assert (a2.answered, a2.handled, a2.transferred) == (1, 1, 1)
    assert a2.mos == pytest.approx(3.8)
    assert a2.satisfaction == 3


def test_agent_time_occupancy_and_utilisation_per_hour() -> None:
    _, agents = _day(interval=H)
    a1 = agents[("a1", T0)]
    # 09:00-10:00: ringing 100-110 and 1020-1030, on call 110-310, wrap-up 310-340
    assert dict(a1.state_time) == {"idle": 100 + 680 + 2570, "ringing": 20,
                                   "on_call": 200, "wrap_up": 30}
    assert a1.logged_in == H
    assert a1.handle_time == 230
    assert a1.available_time == 3600 - 230
    assert a1.occupancy == pytest.approx(230 / 3600)
    assert a1.utilisation == pytest.approx(230 / 3600)
    a1_late = agents[("a1", T0 + H)]
    # on call 3620-3920 and 4210-4310, wrap-up 3920-3950 and 4310-4340
    assert a1_late.handle_time == 300 + 30 + 100 + 30
    assert a1_late.occupancy == pytest.approx(460 / 3600)

    a2 = agents[("a2", T0)]
    # lunch from 3000 crosses 10:00: 600 s here, 1200 s in the next hour
    assert dict(a2.status_time) == {"available": 3000, "on_break:lunch": 600}
    assert a2.handle_time == 300 + 30
    assert a2.available_time == 3000 - 330
    assert a2.occupancy == pytest.approx(330 / (330 + 2670))
    assert a2.utilisation == pytest.approx(330 / 3600)
    a2_late = agents[("a2", T0 + H)]
    assert dict(a2_late.status_time) == {"on_break:lunch": 1200, "available": 2400}
    assert a2_late.occupancy == 0.0
    assert a2_late.utilisation == 0.0

    everyone = agents[(ALL, T0)]
    assert everyone.logged_in == 2 * H
    assert everyone.handle_time == 230 + 330


def test_filters_by_queue_and_agent() -> None:
    queues, agents = _day(queue="support")
    assert {q for q, _ in queues} == {"support", ALL}
    assert agents[("a1", None)].handled == 2     # c5 and the callback, not c1
    _, agents = _day(agent="a2")
    assert {a for a, _ in agents} == {"a2", ALL}


def _at(ts: float, kind: str = "call.enqueued", call: str = "x") -> Event:
    return Event(1, ts, kind, call, "q", None, {})


@pytest.mark.parametrize(("offset", "bucket"), [
    (0.0, 0.0), (899.999, 0.0), (900.0, 900.0), (3599.999, 2700.0), (3600.0, 3600.0),
    (7199.999, 6300.0)])
def test_fifteen_minute_buckets_at_the_boundaries(offset: float, bucket: float) -> None:
    report = compute([_at(T0 + offset)], ReportOptions(T0, T0 + 2 * H, interval=900.0))
    assert [(q.queue, q.interval) for q in report.queues] == [("q", T0 + bucket),
                                                              (ALL, T0 + bucket)]


@pytest.mark.parametrize("offset", [-0.001, 7200.0])
def test_calls_outside_the_period_are_left_out(offset: float) -> None:
    report = compute([_at(T0 + offset)], ReportOptions(T0, T0 + 2 * H, interval=900.0))
    assert report.queues == []


def test_agent_time_is_cut_at_each_boundary() -> None:
    events = [Event(1, T0 + 800, "agent.status", None, None, "a",
                    {"from": "logged_out", "to": "available"}),
              Event(2, T0 + 1000, "agent.status", None, None, "a",
                    {"from": "available", "to": "logged_out"})]
    report = compute(events, ReportOptions(T0, T0 + H, interval=900.0))
    rows = {a.interval: a.logged_in for a in report.agents if a.agent == "a"}
    assert rows == {T0: 100.0, T0 + 900: 100.0}


def test_bad_fields_do_not_break_the_report() -> None:
    events = [Event(1, T0 + 1, "call.enqueued", "c", "q", None, {}),
              Event(2, T0 + 2, "call.answered", "c", "q", "a", {"wait": "soon"}),
              Event(3, T0 + 3, "survey.completed", "c", None, "a", {"score": "great"}),
              Event(4, T0 + 4, "call.quality", "c", None, "a", {"mos": None}),
              Event(5, T0 + 5, "wrapup.ended", None, None, "a", {})]
    report = compute(events, ReportOptions(T0, T0 + H))
    q = report.queues[0]
    assert (q.answered, q.asa, q.satisfaction) == (1, 0.0, None)


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="end after"):
        ReportOptions(T0, T0)
    with pytest.raises(ValueError, match="interval"):
        ReportOptions(T0, T0 + 1, interval=0)
