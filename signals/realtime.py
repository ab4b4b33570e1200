"""Events to the people on a signal's page. The only place in ``signals`` that calls ``group_send``.

Everything is sent after commit, with an already-rendered payload: what a
socket receives was in the database first. The channel layer may drop a
message under load; clients resync from the database.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation


def signal_group(signal_id: int) -> str:
    return f"signal.{signal_id}"


def message_payload(message: Any) -> dict[str, Any]:
    """The CONTRACT.md shape of a message, with its server-rendered fragment, in the community's language
    (one rendering goes to everyone on the signal)."""
    with translation.override(message.signal.community.language):
        return _payload(message)


def _payload(message: Any) -> dict[str, Any]:
    from signals.selectors import MessageView

    item = MessageView.of(message)
    return {
        "id": message.pk,
        "author": {"label": item.author_label, "kind": item.author_kind},
        "body_html": str(item.body_html),
        "html": render_to_string("signals/_message.html", {"item": item}),
        "lang": message.language,
        "created": message.created_at.isoformat(),
        "client_id": str(message.client_id) if message.client_id else None,
    }


def _send(group: str, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group, event)


def message_changed(*, message_id: int, event: str) -> None:
    """After commit: ``message.new`` or ``message.updated`` to the signal's group."""

    def send() -> None:
        from signals.models import Message

        message = Message.objects.select_related("author", "signal__community__region").filter(pk=message_id).first()
        if message is None:
            return
        _send(signal_group(message.signal_id), {"type": event, "message": message_payload(message)})

    transaction.on_commit(send, robust=True)


def recognitions_payload(signal: Any) -> dict[str, Any]:
    """The CONTRACT.md ``recognitions`` event: the counts, the progress text and the figures fragment."""
    from signals.selectors import recognition_figures

    with translation.override(signal.community.language):
        figures = recognition_figures(signal)
        progress = figures["escalation"].explanation if figures["escalation"] else figures["progress"].text
        return {
            "type": "recognitions",
            "count": signal.recognition_count,
            "municipalities": signal.municipality_count,
            "organisations": signal.organisation_count,
            "progress": str(progress),
            "html": render_to_string("signals/_recognition_figures.html", figures),
        }


def status_payload(signal: Any) -> dict[str, Any]:
    """The CONTRACT.md ``status`` event, with the status badge and the timeline as fragments."""
    with translation.override(signal.community.language):
        events = signal.events.select_related("related_signal").order_by("created_at", "pk")
        return {
            "type": "status",
            "status": signal.status,
            "label": str(signal.get_status_display()),
            "html": render_to_string("signals/_status.html", {"signal": signal}),
            "timeline": render_to_string("signals/_timeline.html", {"events": events}),
        }


def signal_changed(*, signal_id: int, recognitions: bool = False, status: bool = False) -> None:
    """After commit: the signal's new figures and/or status to everyone on its page."""

    def send() -> None:
        from signals.models import Signal

        signal = Signal.objects.select_related("community__region").filter(pk=signal_id).first()
        if signal is None:
            return
        if recognitions:
            _send(signal_group(signal_id), {**recognitions_payload(signal), "type": "signal.recognitions"})
        if status:
            _send(signal_group(signal_id), {**status_payload(signal), "type": "signal.status"})

    transaction.on_commit(send, robust=True)
