"""Mail in batches (an mbox, an IMAP fetch): the same outcomes as one by one, set-at-a-time."""

import pytest
from django.db import DataError, connection
from django.test.utils import CaptureQueriesContext

from kehu.customers.models import Contact, TimelineEntry
from kehu.desk import tickets
from kehu.desk.models import Ticket, TicketSearchDocument
from kehu.desk.signals import batched, ticket_events
from kehu.mail import ingest
from kehu.mail.models import InboundMail
from kehu.mail.tests.conftest import build_mail

pytestmark = pytest.mark.django_db
Outcome = InboundMail.Outcome


def arrivals(mailbox, *raws):
    return [ingest.Arrival(raw, mailbox) for raw in raws]


def test_a_reply_in_the_same_batch_joins_the_ticket_its_question_opened(mailbox, customer):
    question = build_mail(sender=customer.email, message_id="<q1@client.example>")
    reply = build_mail(
        sender=customer.email, subject="Re: 无法登录系统", in_reply_to="<q1@client.example>"
    )
    other = build_mail(sender=customer.email, subject="发票抬头错误")
    records = ingest.ingest_many(arrivals(mailbox, question, reply, other, question))
    assert [r.outcome for r in records] == [
        Outcome.TICKET_CREATED,
        Outcome.REPLY_ADDED,
        Outcome.TICKET_CREATED,
        Outcome.TICKET_CREATED,
    ]
    assert records[1].ticket == records[0].ticket
    assert records[3].pk == records[0].pk  # the same message twice: stored once
    assert InboundMail.objects.count() == 3 and Ticket.objects.count() == 2
    assert records[0].ticket.messages.count() == 2
    assert records[0].ticket_message == records[0].ticket.messages.order_by("id").first()


def test_a_poison_message_is_filed_and_the_rest_of_its_batch_is_stored(
    mailbox, customer, monkeypatch
):
    real = tickets.create_tickets

    def refuse_poison(requests, **kwargs):
        if any("有毒" in r.subject for r in requests):
            raise DataError("value too long for type character varying(250)")
        return real(requests, **kwargs)

    monkeypatch.setattr(tickets, "create_tickets", refuse_poison)
    records = ingest.ingest_many(
        arrivals(
            mailbox,
            build_mail(sender=customer.email, subject="第一封"),
            build_mail(sender=customer.email, subject="有毒的邮件"),
            build_mail(sender=customer.email, subject="第三封"),
        )
    )
    assert [r.outcome for r in records] == [
        Outcome.TICKET_CREATED,
        Outcome.REJECTED,
        Outcome.TICKET_CREATED,
    ]
    assert "DataError" in records[1].detail and records[1].pk is not None
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["第一封", "第三封"]
    assert InboundMail.objects.count() == 3


def test_the_rate_limit_counts_the_messages_of_the_same_batch(mailbox, customer):
    mailbox.sender_limit_per_hour = 2
    mailbox.save()
    records = ingest.ingest_many(
        arrivals(
            mailbox, *(build_mail(sender=customer.email, subject=f"第{n}封") for n in range(4))
        )
    )
    assert [r.outcome for r in records] == [Outcome.TICKET_CREATED] * 2 + [Outcome.RATE_LIMITED] * 2


def test_a_new_sender_writing_twice_in_one_batch_becomes_one_contact(mailbox):
    first = build_mail(sender="王芳 <wang.fang@new-company.example>", subject="开通账号")
    second = build_mail(sender="wang.fang@new-company.example", subject="还有一个问题")
    records = ingest.ingest_many(arrivals(mailbox, first, second))
    assert [r.outcome for r in records] == [Outcome.TICKET_CREATED] * 2
    contact = Contact.objects.get(email__iexact="wang.fang@new-company.example")
    assert {r.ticket.contact for r in records} == {contact}


def test_a_batch_delivers_its_ticket_events_together_after_the_commit(
    mailbox, customer, django_capture_on_commit_callbacks
):
    deliveries = []

    def count(sender, events, **kwargs):
        deliveries.append(len(events))

    ticket_events.connect(count, weak=False)
    try:
        with batched(), django_capture_on_commit_callbacks(execute=True):
            records = ingest.ingest_many(
                arrivals(
                    mailbox,
                    *(build_mail(sender=customer.email, subject=f"问题{n}") for n in range(5)),
                )
            )
    finally:
        ticket_events.disconnect(count)
    assert deliveries == [5]
    opened = [r.ticket for r in records]
    assert TicketSearchDocument.objects.filter(ticket__in=opened).count() == 5
    lines = TimelineEntry.objects.filter(account=customer.account, kind=TimelineEntry.Kind.TICKET)
    assert lines.count() == 5


def _queries_for(mailbox, customer, count, tag):
    raws = [
        build_mail(sender=customer.email, subject=f"{tag}{n}", message_id=f"<{tag}{n}@c.example>")
        for n in range(count)
    ]
    with CaptureQueriesContext(connection) as queries:
        ingest.ingest_many(arrivals(mailbox, *raws))
    return len(queries.captured_queries)


def test_new_requests_in_a_batch_cost_no_queries_each(mailbox, customer):
    # A contact without a portal sign-in (one with a sign-in also becomes each ticket's watcher).
    customer = Contact.objects.create(
        account=customer.account, name="赵敏", email="zhao.min@xinghe-bank.example"
    )
    _queries_for(mailbox, customer, 3, "warm")  # first use creates the desk's settings rows
    ten = _queries_for(mailbox, customer, 10, "ten")
    forty = _queries_for(mailbox, customer, 40, "forty")
    assert forty <= ten + 3, (ten, forty)
