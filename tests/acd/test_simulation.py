"""The real ACD under Poisson traffic agrees with queueing theory and treats agents fairly."""

from __future__ import annotations

from softswitch.reports.erlang import asa, erlang_c, service_level

from .simulation import SimConfig, Simulation

# 10 agents, 8 Erlangs (occupancy 0.8), exponential talk times, agents answer at once:
# an M/M/10 queue. Seed 11, about 65,000 measured callers, 20 batch means. A figure
# agrees when it is within 4 standard errors of the batch means (chance of a false alarm
# about 1 in 16,000 per figure), and the run is long enough that 4 SE is a tight band.
RATE, AHT, AGENTS = 8 / 180, 180.0, 10


def test_mean_wait_and_service_level_agree_with_erlang_c() -> None:
    sim = Simulation(SimConfig(agents=AGENTS, rate=RATE, aht=AHT, duration=1_500_000,
                               warmup=3_600, seed=11))
    result = sim.run()
    assert len(result.waits) > 60_000
    assert result.abandoned == 0 and result.answered == result.offered

    mean, se = result.batch_means(result.waits)
    expected = asa(RATE, AHT, AGENTS)
    assert se < 0.1 * expected
    assert abs(mean - expected) < 4 * se, (mean, expected, se)

    waited = [1.0 if w > 0 else 0.0 for w in result.waits]
    p_wait, se_p = result.batch_means(waited)
    assert abs(p_wait - erlang_c(RATE * AHT, AGENTS)) < max(4 * se_p, 0.005)

    within = [1.0 if w <= 20 else 0.0 for w in result.waits]
    sl, se_sl = result.batch_means(within)
    assert abs(sl - service_level(RATE, AHT, AGENTS, 20)) < max(4 * se_sl, 0.005)


def test_longest_idle_spreads_calls_evenly() -> None:
    result = Simulation(SimConfig(agents=5, rate=3 / 180, aht=180.0, duration=400_000,
                                  seed=5)).run()
    counts = result.calls_per_agent
    mean = sum(counts.values()) / 5
    assert len(counts) == 5
    assert all(abs(c - mean) < 0.05 * mean for c in counts.values()), counts


def test_top_down_does_not_spread_calls() -> None:
    """The evenness above is the strategy's doing: top-down loads the first agent."""
    result = Simulation(SimConfig(agents=5, rate=3 / 180, aht=180.0, duration=100_000,
                                  seed=5, strategy="top-down")).run()
    counts = result.calls_per_agent
    assert counts["a000"] > 2 * counts["a004"]


def test_priority_callers_wait_less_and_nobody_waits_out_of_rank_order() -> None:
    result = Simulation(SimConfig(agents=6, rate=5.5 / 180, aht=180.0, duration=300_000,
                                  seed=2, priority_share=0.2, priority_weight=300.0)).run()
    assert result.rank_violations == 0
    normal = result.normal_waits
    assert sum(result.priority_waits) / len(result.priority_waits) < \
        0.5 * sum(normal) / len(normal)
    assert result.answered == result.offered   # every normal caller is served too


def test_no_answers_and_abandonment_keep_every_caller_accounted() -> None:
    result = Simulation(SimConfig(agents=4, rate=3.5 / 180, aht=180.0, duration=100_000,
                                  seed=8, patience=120.0, answer_prob=0.8,
                                  answer_delay=2.0)).run()
    assert result.abandoned > 0
    assert result.answered + result.abandoned == result.offered
