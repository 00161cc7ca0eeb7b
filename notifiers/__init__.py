"""Notify stage: route detected changes to subscriptions and deliver them through apprise."""

from notifiers.admin import OutboxEntry, OutboxError, cancel_rows, list_rows, retry_rows
from notifiers.events import ChangeEvent, Clause, Evidence, load_event
from notifiers.outbox import DeliveryError, DeliveryReport, deliver_due, route_changes
from notifiers.render import Message, kind_label, render, render_digest
from notifiers.schedule import Digest
from notifiers.subscriptions import (
    Filters,
    RetryPolicy,
    Subscription,
    SubscriptionError,
    load_subscriptions,
    redact_text,
    redact_url,
)

__all__ = [
    "ChangeEvent",
    "Clause",
    "DeliveryError",
    "DeliveryReport",
    "Digest",
    "Evidence",
    "Filters",
    "Message",
    "OutboxEntry",
    "OutboxError",
    "RetryPolicy",
    "Subscription",
    "SubscriptionError",
    "cancel_rows",
    "deliver_due",
    "kind_label",
    "list_rows",
    "load_event",
    "load_subscriptions",
    "redact_text",
    "redact_url",
    "render",
    "render_digest",
    "retry_rows",
    "route_changes",
]
