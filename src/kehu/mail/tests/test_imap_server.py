"""The test IMAP server is real: non-ASCII mail round-trips byte for byte, flags and MOVE stick."""

import ssl
from pathlib import Path

import pytest
from imapclient import IMAPClient

from kehu.mail.tests.imap_server import ImapServer, running_imap_server

UTF8_MAIL = (
    "From: 张三 <zhangsan@example.com>\r\n"
    "To: support@example.com\r\n"
    "Subject: =?UTF-8?B?5Y+R56Wo6Zeu6aKY?=\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "您好，我的发票还没有收到。\r\n"
).encode()
GBK_MAIL = (
    b"From: lisi@example.com\r\n"
    b"To: support@example.com\r\n"
    b"Subject: =?GBK?B?0rvD5rXEzsrM4g==?=\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=gbk\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n" + "密码重置邮件没有收到。\r\n".encode("gbk")
)


@pytest.fixture
def server(tmp_path: Path):
    with running_imap_server(tmp_path) as server:
        yield server


def _client(server: ImapServer) -> IMAPClient:
    client = IMAPClient(
        server.host, port=server.port, ssl=True, ssl_context=server.ssl_context_for_clients
    )
    client.login(server.user, server.password)
    return client


def test_mail_round_trips_and_can_be_marked_seen_or_moved(server: ImapServer):
    server.append("INBOX", UTF8_MAIL)
    server.append("INBOX", GBK_MAIL)

    client = _client(server)
    try:
        client.select_folder("INBOX")
        uids = client.search("ALL")
        fetched = client.fetch(uids, ["BODY.PEEK[]"])
        assert [fetched[uid][b"BODY[]"] for uid in uids] == [UTF8_MAIL, GBK_MAIL]

        utf8_uid, gbk_uid = uids
        client.add_flags([utf8_uid], [b"\\Seen"])
        client.create_folder("Processed")
        client.move([gbk_uid], "Processed")
    finally:
        client.logout()

    # A fresh connection sees what the first one did: state lives in the server, not the session.
    assert server.messages("INBOX") == [(utf8_uid, {"\\Seen"}, UTF8_MAIL)]
    [(_, flags, raw)] = server.messages("Processed")
    assert raw == GBK_MAIL
    assert "\\Seen" not in flags


def test_certificate_is_verified(server: ImapServer):
    with pytest.raises(ssl.SSLCertVerificationError):
        IMAPClient(
            server.host, port=server.port, ssl=True, ssl_context=ssl.create_default_context()
        )


def test_plain_imap_with_copy_and_expunge_keeps_uids(tmp_path: Path):
    with running_imap_server(tmp_path, tls=False) as server:
        server.create_folder("已处理")
        server.append("INBOX", UTF8_MAIL, flags=("\\Seen",))
        server.append("INBOX", GBK_MAIL)
        [(first_uid, _, _), (second_uid, _, _)] = server.messages("INBOX")

        client = IMAPClient(server.host, port=server.port, ssl=False)
        client.login(server.user, server.password)
        client.select_folder("INBOX")
        client.copy([first_uid], "已处理")
        client.add_flags([first_uid], [b"\\Deleted"])
        client.expunge()
        client.logout()

        # The untouched message keeps its UID after the expunge; the copy keeps its flags.
        assert server.messages("INBOX") == [(second_uid, set(), GBK_MAIL)]
        [(_, flags, raw)] = server.messages("已处理")
        assert (flags, raw) == ({"\\Seen"}, UTF8_MAIL)
