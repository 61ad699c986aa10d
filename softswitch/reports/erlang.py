"""Erlang C and Erlang A staffing math.

Erlang C (M/M/N) is computed from Erlang B by the recursion
B(0) = 1, B(n) = A*B(n-1) / (n + A*B(n-1)), which never forms A**N or N! and so stays
stable for hundreds of agents; C = N*B / (N - A*(1 - B)).

Erlang A (M/M/N+M, callers abandon after an exponential patience) has no closed form that
is both simple and stable, so it is solved directly: the birth-death chain of "calls in the
system" is summed in ratios relative to state N (no factorials) and truncated once the
terms fall below 1e-16 of the running total. With patience theta, waiting customers leave
at rate k*theta, so the chain is always stable, even when A >= N.

Units: `rate` is calls per second, `aht` and `patience` are seconds, `t` is seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def _check(rate: float, aht: float, agents: int) -> float:
    if rate < 0 or not math.isfinite(rate):
        raise ValueError(f"arrival rate must be a finite number >= 0, not {rate!r}")
    if aht <= 0 or not math.isfinite(aht):
        raise ValueError(f"average handle time must be > 0 seconds, not {aht!r}")
    if agents < 0 or int(agents) != agents:
        raise ValueError(f"agents must be a whole number >= 0, not {agents!r}")
    return rate * aht


def traffic(rate: float, aht: float) -> float:
    """Offered load in Erlangs."""
    return _check(rate, aht, 0)


def erlang_b(load: float, agents: int) -> float:
    """Blocking probability with `agents` servers and no queue."""
    if load < 0 or agents < 0:
        raise ValueError("load and agents must be >= 0")
    b = 1.0
    for n in range(1, int(agents) + 1):
        b = load * b / (n + load * b)
    return b


def erlang_c(load: float, agents: int) -> float:
    """Probability that a caller waits at all (1.0 when the queue is unstable)."""
    if agents <= load:
        return 1.0
    b = erlang_b(load, agents)
    return agents * b / (agents - load * (1.0 - b))


def service_level(rate: float, aht: float, agents: int, t: float) -> float:
    """P(wait <= t) for Erlang C."""
    load = _check(rate, aht, agents)
    if agents <= load:
        return 0.0
    pw = erlang_c(load, agents)
    return 1.0 - pw * math.exp(-(agents - load) * t / aht)


def asa(rate: float, aht: float, agents: int) -> float:
    """Average speed of answer (mean wait over all callers), seconds; inf when unstable."""
    load = _check(rate, aht, agents)
    if agents <= load:
        return math.inf
    return erlang_c(load, agents) * aht / (agents - load)


def occupancy(rate: float, aht: float, agents: int) -> float:
    """Fraction of staffed time spent on calls (capped at 1)."""
    load = _check(rate, aht, agents)
    if agents == 0:
        return 1.0 if load > 0 else 0.0
    return min(1.0, load / agents)


def agents_needed(rate: float, aht: float, target_sl: float, target_t: float,
                  max_occupancy: float = 1.0, limit: int = 100_000) -> int:
    """Fewest agents with service_level >= target_sl (and occupancy <= max_occupancy)."""
    load = _check(rate, aht, 0)
    if not 0 < target_sl < 1:
        raise ValueError(f"target service level must be between 0 and 1, not {target_sl!r}")
    if target_t < 0:
        raise ValueError(f"target answer time must be >= 0 seconds, not {target_t!r}")
    if not 0 < max_occupancy <= 1:
        raise ValueError(f"max occupancy must be in (0, 1], not {max_occupancy!r}")
    if load == 0:
        return 0
    n = max(1, math.floor(load) + 1, math.ceil(load / max_occupancy))
    while n <= limit:
        if service_level(rate, aht, n, target_t) >= target_sl:
            return n
        n += 1
    raise ValueError(f"more than {limit} agents needed")


@dataclass(frozen=True)
class ErlangA:
    """Steady-state figures of an M/M/N+M queue."""

    p_wait: float
    """P(an arriving caller finds all agents busy)."""
    p_abandon: float
    """P(an arriving caller hangs up before being answered)."""
    service_level: float
    """P(answered within t) over all arrivals; abandoned callers count as not served."""
    asa: float
    """Mean wait of callers who are answered, seconds."""
    mean_wait: float
    """Mean time in queue over all arrivals (answered or abandoned), seconds."""
    occupancy: float


def erlang_a(rate: float, aht: float, agents: int, patience: float, t: float = 0.0,
             tolerance: float = 1e-16, max_queue: int = 1_000_000) -> ErlangA:
    """Solve M/M/N+M numerically from its birth-death chain.

    State k is the number of callers in the system. Below N the death rate is k*mu; from N
    it is N*mu + (k-N)*theta. Probabilities are kept relative to state N, which avoids
    overflow for large N. The service level follows each arriving caller (PASTA): one who
    finds k >= N callers joins at queue position k-N+1 and is answered within t when enough
    departures ahead happen before both t and their own patience ends (`_answered_by`).
    """
    _check(rate, aht, agents)
    if patience <= 0 or not math.isfinite(patience):
        raise ValueError(f"mean patience must be > 0 seconds, not {patience!r}")
    if t < 0:
        raise ValueError(f"t must be >= 0 seconds, not {t!r}")
    mu = 1.0 / aht
    theta = 1.0 / patience
    n = int(agents)
    if rate == 0:
        return ErlangA(0.0, 0.0, 1.0, 0.0, 0.0, 0.0)
    if n == 0:
        return ErlangA(1.0, 1.0, 0.0, 0.0, patience, 0.0)
    # states below N, relative to pi_N = 1: pi_{k-1} = pi_k * k*mu / rate
    below = [0.0] * n
    p = 1.0
    for k in range(n, 0, -1):
        p = p * k * mu / rate
        below[k - 1] = p
        if p < 1e-300:
            break
    # states from N upwards: pi_{N+j} = pi_{N+j-1} * rate / (N*mu + j*theta)
    above = [1.0]
    p = 1.0
    total_above = 1.0
    j = 0
    while True:
        j += 1
        ratio = rate / (n * mu + j * theta)
        p = p * ratio
        above.append(p)
        total_above += p
        # once terms shrink geometrically, the tail is at most p * ratio / (1 - ratio)
        if ratio < 1.0 and p * ratio / (1.0 - ratio) < tolerance * total_above:
            break
        if j >= max_queue:
            raise ValueError(f"the queue does not settle within {max_queue} callers; "
                             "patience is too long for this overload")
    total = sum(below) + total_above
    p_wait = total_above / total
    # expected queue length and abandonment rate
    lq = sum(j * a for j, a in enumerate(above)) / total
    p_abandon = theta * lq / rate
    busy = (sum(k * below[k] for k in range(n)) + n * total_above) / total
    served_fraction = 1.0 - p_abandon
    # mean wait over all arrivals by Little's law on the queue
    mean_wait = lq / rate
    # PASTA: an arrival sees state N+j with probability above[j]/total and joins at
    # position j+1; answered-within-t and mean-wait-if-answered are computed per position
    positions = len(above)
    answered_by_t = _answered_by(positions, n * mu, theta, t)
    sl_waiting = 0.0
    answered_wait_total = 0.0
    forward = 1.0
    inverse_sum = 0.0
    for j, a in enumerate(above):
        r = n * mu + j * theta + theta
        forward *= (r - theta) / r
        inverse_sum += 1.0 / r
        weight = a / total
        sl_waiting += weight * answered_by_t[j]
        answered_wait_total += weight * forward * inverse_sum
    sl = (1.0 - p_wait) + sl_waiting
    asa_served = answered_wait_total / served_fraction if served_fraction > 0 else math.inf
    return ErlangA(p_wait=p_wait, p_abandon=p_abandon, service_level=sl, asa=asa_served,
                   mean_wait=mean_wait, occupancy=busy / n)


def _answered_by(positions: int, service_rate: float, theta: float, t: float) -> list[float]:
    """P(answered within t) for a caller starting at each queue position 1..positions.

    At position p the caller steps forward at rate service_rate + (p-1)*theta (an agent
    frees up or someone ahead gives up) and leaves at rate theta. This absorbing chain is
    solved for every start at once by uniformisation: u(t) = sum_k Poisson(k; L*t) P^k h,
    with h the indicator of "answered"; each step is O(positions).
    """
    if t <= 0 or positions == 0:
        return [0.0] * positions
    lam = service_rate + positions * theta
    x = lam * t
    fwd = [(service_rate + p * theta) / lam for p in range(positions)]
    leave = theta / lam
    h = [0.0] * positions  # P^k h at each position (index p-1); answered state stays 1
    result = [0.0] * positions
    log_w = -x
    cumulative = 0.0
    k = 0
    kmax = int(x + 12.0 * math.sqrt(x + 1.0) + 50.0)
    while True:
        w = math.exp(log_w)
        cumulative += w
        for p in range(positions):
            result[p] += w * h[p]
        if k >= kmax or (k > x and cumulative > 1.0 - 1e-15):
            break
        new = [0.0] * positions
        for p in range(positions):
            ahead = 1.0 if p == 0 else h[p - 1]
            new[p] = fwd[p] * ahead + (1.0 - fwd[p] - leave) * h[p]
        h = new
        k += 1
        log_w += math.log(x) - math.log(k)
    return [min(1.0, r) for r in result]
