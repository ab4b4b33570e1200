"""The digest outbox: one delivery row per recipient, each mailed at most once.

A delivery is claimed by a conditional update (``pending`` → ``sending``)
before its mail goes out and marked ``sent`` after. A worker that dies in
between leaves the row ``sending``: after DIGEST_SENDING_STALE_SECONDS (longer
than any task may run) it becomes ``uncertain``, shown to the coordinators and
never sent again, because the mail server may already have accepted it. A
mail the server turns away for a while goes back to ``pending`` with
exponential back-off; one it refuses for good is ``failed``. One address never
stops the others.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F
from django.utils import timezone

from community.mail import mail_compose, mails_send
from signals import digests
from signals.models import DeliveryStatus, Digest, DigestDelivery, DigestStatus

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


def backoff(attempts: int) -> datetime.timedelta:
    """1, 2, 4 … minutes after each failed attempt, at most 2 hours."""
    return datetime.timedelta(minutes=min(2 ** (attempts - 1), 120))


def stale_mark_uncertain(digest_id: int | None = None) -> int:
    """Deliveries left ``sending`` by a worker that died: ``uncertain`` (never sent again)."""
    cutoff = timezone.now() - datetime.timedelta(seconds=settings.DIGEST_SENDING_STALE_SECONDS)
    stale = DigestDelivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=cutoff)
    if digest_id is not None:
        stale = stale.filter(digest_id=digest_id)
    marked = stale.update(status=DeliveryStatus.UNCERTAIN, last_error="interrupted while sending")
    if marked:
        logger.warning("%s digest deliveries interrupted while sending: marked uncertain", marked)
    return marked


def _message(delivery: DigestDelivery, digest: Digest) -> EmailMultiAlternatives:
    message = mail_compose(
        to=delivery.address,
        template="digests/email/digest",
        context={"digest": digest, "day": digest.day, "report_html": digest.html},
        language=digest.language,
        headers={"Message-ID": delivery.message_id},
    )
    name = f"knooppunt-digest-{digest.pk}"
    message.attach(f"{name}.pdf", bytes(digest.pdf), "application/pdf")
    # A byte-order mark, so spreadsheet programs read the UTF-8 (Arabic, accents) as UTF-8.
    message.attach(f"{name}.csv", "\ufeff" + digest.csv, "text/csv")
    return message


def delivery_send(delivery: DigestDelivery, digest: Digest) -> DeliveryStatus | None:
    """Claim one due delivery of ``digest`` and mail it; None when it was not due (sent, claimed elsewhere,
    waiting, gone)."""
    delivery_id = delivery.pk
    message = _message(delivery, digest)  # built before the claim: a failure here sends nothing
    now = timezone.now()
    claimed = DigestDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return None
    [outcome] = mails_send([message])
    mine = DigestDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.SENDING)
    if outcome.sent:
        mine.update(status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error="")
        return DeliveryStatus.SENT
    if outcome.unknown:  # the server may have it: never send it again
        mine.update(status=DeliveryStatus.UNCERTAIN, last_error=outcome.error)
        logger.warning("digest delivery %s interrupted: %s", delivery_id, outcome.error)
        return DeliveryStatus.UNCERTAIN
    attempts = delivery.attempts + 1
    if outcome.hard or attempts >= MAX_ATTEMPTS:
        mine.update(status=DeliveryStatus.FAILED, last_error=outcome.error)
        logger.warning("digest delivery %s refused: %s", delivery_id, outcome.error)
        return DeliveryStatus.FAILED
    mine.update(status=DeliveryStatus.PENDING, next_attempt_at=now + backoff(attempts), last_error=outcome.error)
    return DeliveryStatus.PENDING


def digest_send(digest_id: int) -> int:
    """Send what is due of an approved digest; finish it when nothing is left to send. Returns mails sent."""
    stale_mark_uncertain(digest_id)
    digest = Digest.objects.select_related("community").filter(pk=digest_id, status=DigestStatus.APPROVED).first()
    sent = 0
    if digest is not None:  # loaded once: its PDF goes into every mail
        due = digest.deliveries.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now())
        sent = sum(delivery_send(delivery, digest) == DeliveryStatus.SENT for delivery in due.order_by("pk"))
    digests.digest_finish(digest_id)
    return sent


def outbox_sweep() -> list[int]:
    """On beat: mark interrupted deliveries uncertain; return the digests with deliveries due (to send) or
    with none left (to finish)."""
    stale_mark_uncertain()
    approved = Digest.objects.filter(status=DigestStatus.APPROVED)
    due = approved.filter(
        deliveries__status=DeliveryStatus.PENDING, deliveries__next_attempt_at__lte=timezone.now()
    ).values_list("pk", flat=True)
    idle = approved.exclude(deliveries__status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]).values_list(
        "pk", flat=True
    )
    return sorted(set(due) | set(idle))
