from __future__ import annotations

import pytest

from softswitch.rtp.quality import (
    delay_impairment,
    effective_equipment_impairment,
    estimate,
    mos_from_r,
    r_factor,
)


def test_clean_g711_scores_about_4_4() -> None:
    assert r_factor(0, 0) == pytest.approx(93.2)
    assert mos_from_r(93.2) == pytest.approx(4.41, abs=0.01)


def test_loss_impairment_g711_with_plc() -> None:
    # Ie_eff = 95 * 5 / (5 + 25.1) = 15.78
    assert effective_equipment_impairment(5.0) == pytest.approx(15.78, abs=0.01)
    assert r_factor(5.0, 0) == pytest.approx(77.42, abs=0.01)


def test_delay_impairment_knee_at_177ms() -> None:
    assert delay_impairment(100) == pytest.approx(2.4)
    assert delay_impairment(277.3) == pytest.approx(0.024 * 277.3 + 11.0)


def test_mos_bounds() -> None:
    assert mos_from_r(-5) == 1.0 and mos_from_r(120) == 4.5
    assert mos_from_r(50) < mos_from_r(70) < mos_from_r(90)


def test_estimate_uses_half_rtt_plus_buffering() -> None:
    q = estimate(0.0, 5.0, rtt_ms=200.0, playout_delay_ms=40.0, packetization_ms=20.0)
    assert q.r_factor == pytest.approx(93.2 - 0.024 * 160)
    assert estimate(0.0, 0.0, None, 40.0).r_factor > q.r_factor
