"""Call quality as a single figure: a simplified ITU-T G.107 E-model.

R = 93.2 - Id - Ie_eff with the default advantage factor A = 0. Id is the delay impairment
in the Cole-Rosenbluth simplification (0.024 d + 0.11 (d - 177.3) H(d - 177.3), d in ms,
one way, mouth to ear). Ie_eff = Ie + (95 - Ie) Ppl / (Ppl / BurstR + Bpl): for G.711 Ie is 0
and Bpl is 25.1 with packet loss concealment; BurstR is 1 for random loss. MOS follows from R
with the standard G.107 Annex B formula.
"""

from __future__ import annotations

from dataclasses import dataclass

G711_IE = 0.0
G711_BPL_PLC = 25.1


def delay_impairment(one_way_ms: float) -> float:
    d = max(0.0, one_way_ms)
    return 0.024 * d + (0.11 * (d - 177.3) if d > 177.3 else 0.0)


def effective_equipment_impairment(loss_percent: float, ie: float = G711_IE,
                                   bpl: float = G711_BPL_PLC, burst_ratio: float = 1.0) -> float:
    ppl = min(100.0, max(0.0, loss_percent))
    return ie + (95.0 - ie) * ppl / (ppl / burst_ratio + bpl)


def r_factor(loss_percent: float, one_way_ms: float, ie: float = G711_IE,
             bpl: float = G711_BPL_PLC, burst_ratio: float = 1.0) -> float:
    return 93.2 - delay_impairment(one_way_ms) - effective_equipment_impairment(
        loss_percent, ie, bpl, burst_ratio)


def mos_from_r(r: float) -> float:
    if r <= 0:
        return 1.0
    if r >= 100:
        return 4.5
    return 1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7e-6


@dataclass(frozen=True, slots=True)
class Quality:
    """A leg's receive quality, plus what the far end reports about our stream."""

    loss_percent: float
    jitter_ms: float
    rtt_ms: float | None
    r_factor: float
    mos: float
    remote_loss_percent: float | None = None
    remote_jitter_ms: float | None = None


def estimate(loss_percent: float, jitter_ms: float, rtt_ms: float | None,
             playout_delay_ms: float, packetization_ms: float = 20.0,
             remote_loss_percent: float | None = None,
             remote_jitter_ms: float | None = None) -> Quality:
    """Quality from measured figures; one-way delay is half the RTT plus local buffering."""
    one_way = (rtt_ms or 0.0) / 2 + playout_delay_ms + packetization_ms
    r = r_factor(loss_percent, one_way)
    return Quality(loss_percent, jitter_ms, rtt_ms, r, mos_from_r(r),
                   remote_loss_percent, remote_jitter_ms)
