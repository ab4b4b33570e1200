"""S6: the escalation pipeline at scale. The sweep over every open signal against its threshold query
as raw SQL; a digest of about 200 signals compiled, rendered and mailed to 20 recipients (the SMTP
sink of the run) against WeasyPrint rendering the same final HTML plus raw SMTP sends. Both are also
run twice at once, as two beats or a "compile now" beside beat would: every escalation and every
mail exactly once.
"""

from __future__ import annotations

import os
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from typing import IO, Any

from bench import topology
from bench.context import Context
from bench.report import Row
from tests.servers import wait_until

DIGEST_SIGNALS = 200
RECIPIENTS = 20


def _shell(env: dict[str, str], code: str, output: IO[bytes]) -> subprocess.Popen[bytes]:
    """``manage.py shell -c code`` in a process of its own, as a second worker would be."""
    return subprocess.Popen(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=topology.ROOT,
        env={**os.environ, **env},
        stdout=output,
        stderr=subprocess.STDOUT,
    )


def _twice_at_once(env: dict[str, str], code: str) -> float:
    """Run ``code`` in two processes at once; the wall seconds until both are done.

    Their output goes to files: through pipes read one after the other, the second process blocked once its
    pipe was full (WeasyPrint logs a line per page) while the first waited for the lock the second held.
    """
    started = time.monotonic()
    with tempfile.TemporaryFile() as first, tempfile.TemporaryFile() as second:
        processes = [(_shell(env, code, output), output) for output in (first, second)]
        for process, output in processes:
            process.wait()
            if process.returncode != 0:
                output.seek(0)
                raise RuntimeError(f"manage.py shell failed: {output.read().decode(errors='replace')[-2000:]}")
    return time.monotonic() - started


def _community() -> Any:
    from django.db.models import Count

    from community.models import Community

    return Community.objects.annotate(open_signals=Count("signals")).order_by("-open_signals", "pk").first()


def _rule_for(community: Any, wanted: int) -> int:
    """A recognition minimum that about ``wanted`` open signals of ``community`` meet (the others of the
    rule at their lowest), so the sweep has work whatever the data's seed; how many meet it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT recognition_count FROM signals_signal
            WHERE community_id = %s AND status = 'open' AND NOT hidden
            ORDER BY recognition_count DESC OFFSET %s LIMIT 1
            """,
            [community.pk, wanted - 1],
        )
        row = cursor.fetchone()
    minimum = max(1, row[0] if row else 1)
    community.min_recognitions = minimum
    community.min_municipalities = 1
    community.min_organisations = 0
    community.min_status_holder_recognitions = 0
    community.digest_approval = False
    community.save()
    from signals import escalation

    return escalation.escalation_candidates(community.pk).count()


def _targets(community: Any) -> list[str]:
    """Twenty recipients, one target each (the product sends one mail per address)."""
    from community.models import DigestTarget

    community.digest_targets.all().delete()
    addresses = [f"ontvanger{number:02d}@ministerie.bench.invalid" for number in range(1, RECIPIENTS + 1)]
    DigestTarget.objects.bulk_create(
        [DigestTarget(community=community, name=f"Ontvanger {n:02d}", emails=a) for n, a in enumerate(addresses, 1)]
    )
    return addresses


def _raw_seconds(sql: str, params: Any, dsn: str) -> float:
    import psycopg

    with psycopg.connect(dsn) as connection:
        started = time.perf_counter()
        connection.execute(sql, params).fetchall()
        return time.perf_counter() - started


def s6_escalation(context: Context) -> list[Row]:
    from django.db import connection
    from django.db.models import Count

    from signals import escalation
    from signals.models import DeliveryStatus, Digest, DigestStatus, SignalEvent, Status

    env = context.topology.env
    community = _community()
    candidates = _rule_for(community, 20 if context.quick else DIGEST_SIGNALS)
    addresses = _targets(community)
    before = set(
        SignalEvent.objects.filter(signal__community=community, to_status=Status.ESCALATED).values_list("pk", flat=True)
    )

    # Twice at once: two sweeps over the same candidates.
    sweep_code = "from signals.escalation import escalation_sweep; print(escalation_sweep())"
    concurrent_s = _twice_at_once(env, sweep_code)
    events = SignalEvent.objects.filter(signal__community=community, to_status=Status.ESCALATED).exclude(pk__in=before)
    escalated = events.values("signal").distinct().count()
    twice = events.values("signal").annotate(n=Count("pk")).filter(n__gt=1).count()

    # The sweep as beat runs it every few minutes: over every open signal, with nothing left to move.
    sweeps, raws = [], []
    query = escalation.escalation_candidates(community_id=None).values_list("pk", flat=True)
    sql, params = query.query.sql_with_params()
    for _ in range(context.repeats):
        started = time.perf_counter()
        escalation.escalation_sweep()
        sweeps.append(time.perf_counter() - started)
        raws.append(_raw_seconds(sql, params, env["DATABASE_URL"]))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM signals_signal WHERE status = 'open' AND NOT hidden")
        open_total = cursor.fetchone()[0]
    sweep_s, raw_s = statistics.median(sweeps), statistics.median(raws)

    # The digest, compiled twice at once; done when every delivery is sent and the digest with them.
    received_before = len(context.mailbox.received)
    digest_code = (
        f"from django.core.management import call_command; call_command('send_digest', community={community.slug!r})"
    )
    started = time.monotonic()
    _twice_at_once(env, digest_code)

    def sent() -> bool:
        return Digest.objects.filter(community=community, status=DigestStatus.SENT, items__isnull=False).exists()

    wait_until(sent, "the digest sent to every recipient", timeout=600)
    digest_s = time.monotonic() - started
    digest = (
        Digest.objects.filter(community=community, status=DigestStatus.SENT)
        .annotate(n=Count("items"))
        .filter(n__gt=0)
        .latest("pk")
    )
    with_items = (
        Digest.objects.filter(community=community, created_at__gte=digest.created_at)
        .annotate(n=Count("items"))
        .filter(n__gt=0)
        .count()
    )
    mails = context.mailbox.received[received_before:]
    per_address = {address: sum(address in to for to, _m in mails) for address in addresses}
    deliveries = digest.deliveries.filter(status=DeliveryStatus.SENT).count()
    pdf_s, smtp_s = _digest_baseline(context, digest, addresses)
    baseline_s = pdf_s + smtp_s
    items = digest.items.filter(held_back=False).count()

    once = twice == 0 and escalated == candidates and with_items == 1 and set(per_address.values()) == {1}
    return [
        Row(
            "S6",
            f"escalation sweep over {open_total:,} open signals (nothing to move, as on most beats)",
            {"seconds_s": round(sweep_s, 3)},
            baseline="the sweep's threshold query as raw SQL",
            baseline_figures={"seconds_s": round(raw_s, 3)},
            ratio=sweep_s / raw_s,
            target="≤ 3 × baseline",
            met=sweep_s <= 3 * raw_s,
            note=(
                f"before it, two sweeps at once escalated {escalated} of {candidates} candidates in "
                f"{concurrent_s:.1f} s; signals escalated twice: {twice}"
            ),
        ),
        Row(
            "S6",
            f"digest of {items} signals compiled, rendered and sent to {RECIPIENTS} recipients (two compiles at once)",
            {"seconds_s": round(digest_s, 2), "mails": len(mails), "deliveries_sent": deliveries},
            baseline="WeasyPrint on the same final HTML + 20 raw SMTP sends",
            baseline_figures={"seconds_s": round(baseline_s, 2), "pdf_s": round(pdf_s, 2), "smtp_s": round(smtp_s, 2)},
            ratio=digest_s / baseline_s,
            target="≤ 2 × baseline; every escalation and every mail exactly once",
            met=digest_s <= 2 * baseline_s and once,
            note=(
                f"digests with signals for the slot: {with_items}; mails per recipient: "
                f"{sorted(set(per_address.values()))}; PDF {len(bytes(digest.pdf)):,} bytes"
            ),
        ),
    ]


def _digest_baseline(context: Context, digest: Any, addresses: list[str]) -> tuple[float, float]:
    """WeasyPrint alone on the digest's final HTML (as the product wraps it for print), and twenty mails
    of the same size through smtplib: the work a digest cannot do without."""
    from django.conf import settings
    from django.contrib.staticfiles import finders
    from django.template.loader import render_to_string
    from django.utils.safestring import SafeString
    from weasyprint import CSS, HTML  # type: ignore[import-untyped]

    from signals.reports import report_of

    report = report_of(digest)
    document = render_to_string("digests/pdf.html", {"report": report, "body": SafeString(digest.html)})
    stylesheet = CSS(filename=finders.find("css/digest-print.css"))
    pdfs = []
    for _ in range(context.repeats):
        started = time.perf_counter()
        pdf = HTML(string=document, base_url=settings.SITE_URL).write_pdf(stylesheets=[stylesheet])
        pdfs.append(time.perf_counter() - started)
    port = int(context.topology.env["EMAIL_URL"].rsplit(":", 1)[1])
    sends = []
    for _ in range(context.repeats):
        started = time.perf_counter()
        for address in addresses:
            message = EmailMessage()
            message["From"], message["To"], message["Subject"] = "bench@knooppunt.test", address, "Digest"
            message.set_content(digest.text or "digest")
            message.add_alternative(digest.html, subtype="html")
            message.add_attachment(pdf, maintype="application", subtype="pdf", filename="digest.pdf")
            message.add_attachment(digest.csv.encode(), maintype="text", subtype="csv", filename="digest.csv")
            with smtplib.SMTP("127.0.0.1", port) as smtp:
                smtp.send_message(message)
        sends.append(time.perf_counter() - started)
    return statistics.median(pdfs), statistics.median(sends)
