"""Counters kept where no container is at hand (the inbox, the consumer's settling of a message, the
relay, the gateway's RPC client): one registry for the process, served by each of its containers'
``/metrics`` beside the container's own (endpoints.py). Labelled by service, so a process running one
service (every deployment) reports that service's."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

PROCESS_REGISTRY = CollectorRegistry(auto_describe=True)

EVENT_RETRIES = Counter(
    "cadre_event_retries", "Events whose handler failed, parked to be delivered again (retry: the "
    "handler failed; outage: a dependency did not answer)", ["service", "reason"],
    registry=PROCESS_REGISTRY)
DEAD_LETTERS = Counter(
    "cadre_event_dead_letters", "Events moved to the service's dead-letter queue for an operator",
    ["service"], registry=PROCESS_REGISTRY)
REDELIVERIES = Counter(
    "cadre_event_redeliveries", "Events the broker delivered again (after a restart or a crash)",
    ["service"], registry=PROCESS_REGISTRY)
EVENTS_IGNORED = Counter(
    "cadre_events_ignored", "Events the inbox had applied before, so ignored (redeliveries, replays)",
    ["service"], registry=PROCESS_REGISTRY)
RPC_TIMEOUTS = Counter(
    "cadre_rpc_timeouts", "RPC calls that got no answer in time", ["service", "target"],
    registry=PROCESS_REGISTRY)
RELAY_CONFIRM = Histogram(
    "cadre_relay_confirm_seconds", "The outbox relay's wait from publishing a batch to the broker's "
    "confirms", ["service"], registry=PROCESS_REGISTRY,
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))


class ProcessCounters:
    """A collector a container's registry registers: the process's counters, read at scrape time."""

    @staticmethod
    def describe():
        return list(PROCESS_REGISTRY.collect())

    def collect(self):
        yield from PROCESS_REGISTRY.collect()
