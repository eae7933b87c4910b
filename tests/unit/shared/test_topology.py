"""The queue bindings and the handler tables say the same thing (shared/topology.py)."""

import importlib

import pytest

from shared import events, topology
from shared.config import SERVICES


def handled(service: str) -> set[str]:
    return set(importlib.import_module(f"services.{service}.handlers").HANDLERS)


@pytest.mark.parametrize("service", SERVICES)
def test_each_queue_is_bound_to_exactly_the_events_its_service_handles(service):
    assert set(topology.BINDINGS[service]) == handled(service)


@pytest.mark.parametrize("service", SERVICES)
def test_bindings_name_exact_event_types_that_exist(service):
    for key in topology.BINDINGS[service]:
        assert "*" not in key and "#" not in key, key
        assert key in events.CURRENT_VERSION, key


class RecordingChannel:
    """Records what a declaration asks of the broker (a fake of pika's channel, unit level)."""

    def __init__(self):
        self.bound: dict[str, set[str]] = {}

    def exchange_declare(self, *args, **kwargs):
        pass

    def queue_declare(self, queue, **kwargs):
        self.bound.setdefault(queue, set())

    def queue_bind(self, queue, exchange, routing_key):
        self.bound[queue].add(routing_key)


def test_every_service_declares_every_queue_and_binding():
    channel = RecordingChannel()
    topology.declare(channel, "xinsheng.events", 20)

    for service in SERVICES:
        assert channel.bound[topology.queue_name(service)] == handled(service)
        assert channel.bound[topology.dead_queue_name(service)] == {service}


def test_every_event_type_a_service_emits_is_bound_to_at_least_one_queue():
    bound = {key for keys in topology.BINDINGS.values() for key in keys}
    assert set(events.CURRENT_VERSION) <= bound, set(events.CURRENT_VERSION) - bound
