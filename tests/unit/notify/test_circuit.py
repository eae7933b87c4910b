"""The circuit breaker of each channel: after N failures in a row the channel rests for a cool-down,
then one trial call closes it again or opens it for another cool-down; the gauge says which."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import REGISTRY

from services.notify.circuit import Circuit
from tests.support.notify import china

T0 = china("2026-12-01 10:00")
COOL = timedelta(seconds=60)


def gauge(channel: str) -> float | None:
    return REGISTRY.get_sample_value("xinsheng_notify_circuit_open", {"channel": channel})


def failing(circuit: Circuit, channel: str, times: int, at=T0) -> None:
    for _ in range(times):
        assert circuit.allows(channel, at)
        circuit.record(channel, False, at)


def test_the_circuit_opens_after_n_failures_in_a_row():
    circuit = Circuit(3, COOL)
    failing(circuit, "sms", 2)
    assert circuit.allows("sms", T0) and gauge("sms") in (None, 0.0)
    failing(circuit, "sms", 1)
    assert not circuit.allows("sms", T0) and gauge("sms") == 1.0
    assert circuit.reopens_at("sms", T0) == T0 + COOL


def test_a_success_between_failures_starts_the_count_again():
    circuit = Circuit(3, COOL)
    failing(circuit, "email", 2)
    circuit.record("email", True, T0)
    failing(circuit, "email", 2)
    assert circuit.allows("email", T0)


def test_after_the_cool_down_one_trial_call_goes_and_only_one():
    circuit = Circuit(2, COOL)
    failing(circuit, "group:C01", 2)
    later = T0 + COOL
    assert not circuit.allows("group:C01", later - timedelta(seconds=1))
    assert circuit.allows("group:C01", later)
    assert not circuit.allows("group:C01", later)  # the trial is out: nobody else


def test_a_trial_that_works_closes_the_circuit():
    circuit = Circuit(2, COOL)
    failing(circuit, "group:C02", 2)
    later = T0 + COOL
    assert circuit.allows("group:C02", later)
    circuit.record("group:C02", True, later)
    assert circuit.allows("group:C02", later) and not circuit.is_open("group:C02")
    assert gauge("group:C02") == 0.0


def test_a_trial_that_fails_opens_it_for_another_cool_down():
    circuit = Circuit(5, COOL)
    failing(circuit, "group:city", 5)
    later = T0 + COOL
    assert circuit.allows("group:city", later)
    circuit.record("group:city", False, later)  # one failure is enough now
    assert not circuit.allows("group:city", later + COOL / 2)
    assert circuit.reopens_at("group:city", later) == later + COOL
    assert gauge("group:city") == 1.0


def test_each_channel_has_its_own_circuit():
    circuit = Circuit(1, COOL)
    failing(circuit, "group:C03", 1)
    assert not circuit.allows("group:C03", T0)
    assert circuit.allows("group:C04", T0) and circuit.allows("email", T0)
