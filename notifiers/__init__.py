"""Notify stage: route detected changes to subscriptions and deliver them through apprise."""

from notifiers.events import ChangeEvent, Clause, load_event
from notifiers.outbox import DeliveryError, DeliveryReport, deliver_due, route_changes
from notifiers.render import Message, kind_label, render
from notifiers.subscriptions import (
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
    "Message",
    "Subscription",
    "SubscriptionError",
    "deliver_due",
    "kind_label",
    "load_event",
    "load_subscriptions",
    "redact_text",
    "redact_url",
    "render",
    "route_changes",
]
