"""Real-world-shaped mail (see corpus/README.md): parsed right, classified right, never an error."""

from pathlib import Path

import pytest

from kehu.desk.models import Ticket
from kehu.mail import ingest, parsing
from kehu.mail.models import InboundMail, OutboundMail
from kehu.mail.noise import Noise, classify
from kehu.mail.tests.conftest import build_mail

CORPUS = Path(__file__).parent / "corpus"
Outcome = InboundMail.Outcome


def parsed(name: str) -> parsing.ParsedMail:
    return parsing.parse((CORPUS / name).read_bytes())


def test_outlook_html_is_sanitised_and_the_quoted_block_trimmed():
    mail = parsed("outlook_html_reply.eml")
    assert (mail.sender, mail.subject) == (
        "chen.jing@contoso-trading.example",
        "RE: [KH-42] 无法登录系统",
    )
    assert mail.in_reply_to == ["<kh-42-1001@kehu.example>"]
    for unsafe in ("<script", "onclick", "tracker.example"):
        assert unsafe not in mail.html
    assert "I still cannot log in" in mail.reply_text
    assert "Sent:" not in mail.reply_text and "Subject:" not in mail.reply_text


def test_gmail_encoded_subject_cc_and_rfc2231_file_name():
    mail = parsed("gmail_new_request.eml")
    assert (mail.sender_name, mail.subject) == ("李伟", "请重新开具发票")
    assert mail.cc == ["wang.fang@xinghe-bank.example"]
    [pdf] = mail.attachments
    assert (pdf.filename, pdf.content_type) == ("发票抬头.pdf", "application/pdf")
    assert pdf.content.startswith(b"%PDF")


def test_gmail_reply_loses_the_quote_keeps_the_new_text():
    mail = parsed("gmail_reply_quoted.eml")
    assert "it works now" in mail.reply_text
    assert "wrote:" not in mail.reply_text and "\n>" not in mail.reply_text


def test_apple_mail_inline_image_is_kept_as_inline():
    mail = parsed("apple_mail_inline_image.eml")
    [image] = mail.attachments
    assert image.inline and image.content_id and image.content_type == "image/png"
    assert "Sent from my iPhone" not in mail.reply_text


@pytest.mark.parametrize(
    ("name", "subject", "characters"),
    [
        ("foxmail_gbk.eml", "报价单及联系人姓名显示问题", ["镕", "喆", "堃"]),
        ("qq_gb18030_html.eml", "生僻字无法保存", ["𠮷", "😭"]),
        ("big5_outlook_express.eml", "報表匯出功能異常", ["許", "功能"]),
        ("reply_subject_reference_only.eml", "Re: [KH-42] Problème de connexion", ["déverrouill"]),
    ],
)
def test_every_chinese_charset_real_clients_use_decodes_without_loss(name, subject, characters):
    mail = parsed(name)
    assert mail.subject == subject
    for character in characters:
        assert character in mail.text
    assert "\ufffd" not in mail.text


def test_foxmail_attachment_name_in_gb18030_and_its_signature_trimmed():
    mail = parsed("foxmail_gbk.eml")
    assert [a.filename for a in mail.attachments] == ["报价单.xlsx"]
    assert "刘洋" in mail.text and "刘洋" not in mail.reply_text


def test_the_bounce_names_the_recipient_and_our_message():
    mail = parsed("dsn_bounce.eml")
    assert mail.bounce is not None
    assert mail.bounce.recipients == ["nobody@xinghe-bank.example"]
    assert mail.bounce.status == "5.1.1"
    assert mail.bounce.original_message_id == "<kh-42-1001@kehu.example>"


@pytest.mark.parametrize(
    ("name", "noise"),
    [
        ("dsn_bounce.eml", Noise.BOUNCE),
        ("out_of_office.eml", Noise.AUTO_REPLY),
        ("exchange_oof.eml", Noise.AUTO_REPLY),
        ("bulk_newsletter.eml", Noise.BULK),
        ("gmail_new_request.eml", Noise.NONE),
        ("outlook_html_reply.eml", Noise.NONE),
    ],
)
def test_noise_is_recognised(name, noise):
    assert classify(parsed(name)) == noise


def test_a_malformed_message_parses_with_its_problems_listed():
    mail = parsed("malformed.eml")
    assert mail.sender == "erp-noreply@legacy-erp.example"
    assert mail.sent_at is None and mail.problems
    assert mail.message_id == ""


@pytest.mark.django_db
def test_the_whole_corpus_goes_through_ingest_without_an_error(mailbox, portal_contacts):
    contact = portal_contacts[0]
    contact.email = "chen.jing@contoso-trading.example"
    contact.save()
    ticket = ingest.ingest(build_mail(sender="chen.jing@contoso-trading.example"), mailbox).ticket
    OutboundMail.objects.create(ticket=ticket, message_id="<kh-42-1001@kehu.example>")
    outcomes = {
        path.name: ingest.ingest(path.read_bytes(), mailbox).outcome
        for path in sorted(CORPUS.glob("*.eml"))
    }
    assert outcomes["outlook_html_reply.eml"] == Outcome.REPLY_ADDED
    assert outcomes["gmail_reply_quoted.eml"] == Outcome.REPLY_ADDED  # threads by Message-ID
    assert outcomes["dsn_bounce.eml"] == Outcome.BOUNCE
    for noise in ("out_of_office.eml", "exchange_oof.eml"):
        assert outcomes[noise] == Outcome.AUTO_REPLY
    assert outcomes["bulk_newsletter.eml"] == Outcome.BULK
    assert outcomes["malformed.eml"] == Outcome.TICKET_CREATED  # kept, readable parts used
    employee_ticket = InboundMail.objects.get(sender="zhang.min@kehu.example").ticket
    assert employee_ticket is not None
    assert InboundMail.objects.count() == len(outcomes) + 1
    assert Ticket.objects.filter(pk=ticket.pk).get().messages.count() >= 3
