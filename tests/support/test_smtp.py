"""The loopback SMTP server, exercised with the standard library's client."""

from __future__ import annotations

import smtplib
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from etl.mail.transport import parse_smtp_url
from tests.support.smtp import (
    Received,
    Rule,
    SmtpServer,
    client_context,
    message_id_of,
    read_spool,
    self_signed,
)

SENDER = "digest@example.org"


def message(message_id: str = "<m1@example.org>", body: str = "Hello.") -> bytes:
    head = f"From: {SENDER}\r\nTo: reader@example.org\r\nSubject: test\r\n"
    if message_id:
        head += f"Message-ID: {message_id}\r\n"
    head += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
    head += "Content-Transfer-Encoding: 8bit\r\n"
    return (head + "\r\n" + body.replace("\n", "\r\n") + "\r\n").encode()


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    with SmtpServer() as running:
        yield running


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, Path]:
    return self_signed(tmp_path_factory.mktemp("tls"))


def connect(server: SmtpServer, timeout: float = 10) -> smtplib.SMTP:
    return smtplib.SMTP(server.host, server.port, timeout=timeout)


def test_receives_8bit_utf8_byte_exact(server: SmtpServer) -> None:
    raw = message(body="Mesenchymale Stammzellen – 间充质干细胞\n.leading dot\n..two dots")
    with connect(server) as client:
        client.sendmail(SENDER, ["a@example.org", "b@example.org"], raw, ["BODY=8BITMIME"])
        client.sendmail(SENDER, ["ü@exämple.org"], raw, ["SMTPUTF8"])
    first, second = server.wait_for(2)
    assert first == Received(
        mail_from=SENDER,
        rcpt_tos=("a@example.org", "b@example.org"),
        data=raw,
        message_id="<m1@example.org>",
        session=first.session,
    )
    assert second.data == raw
    assert second.rcpt_tos == ("ü@exämple.org",)


def test_counts_connections_and_sessions(server: SmtpServer) -> None:
    with connect(server) as client:
        client.sendmail(SENDER, ["a@example.org"], message("<1@x>"))
        client.sendmail(SENDER, ["a@example.org"], message("<2@x>"))
    with connect(server) as client:
        client.sendmail(SENDER, ["a@example.org"], message("<3@x>"))
    received = server.wait_for(3)
    assert server.connections == 2
    assert received[0].session == received[1].session != received[2].session
    assert [m.message_id for m in received] == ["<1@x>", "<2@x>", "<3@x>"]


def test_addresses_and_parameters(server: SmtpServer) -> None:
    senders = ["a.b+c@d-e.example", '"odd one"@example.org', "x@[127.0.0.1]", "a..b@x.org"]
    with connect(server) as client:
        client.ehlo()
        for sender in senders:
            assert client.mail(sender, ["BODY=8BITMIME", "SIZE=300"])[0] == 250
            assert client.rcpt("a@example.org")[0] == 250
            assert client.data(message())[0] == 250
    assert [m.mail_from for m in server.wait_for(4)] == senders


def test_message_id_parsing() -> None:
    assert message_id_of(b"Subject: x\r\nmessage-id:   <a@b>\r\n\r\nMessage-ID: <no@c>\r\n") == (
        "<a@b>"
    )
    assert message_id_of(b"Message-ID:\r\n <folded@b>\r\nSubject: x\r\n\r\nbody") == "<folded@b>"
    assert message_id_of(b"Subject: x\r\n\r\nMessage-ID: <in-body@b>\r\n") == ""
    assert message_id_of(b"X-Message-ID: <a@b>\r\n\r\n") == ""


def test_451_at_rcpt(server: SmtpServer) -> None:
    rule = server.add(Rule("later", reply="451 4.3.0 Try again later"))
    with connect(server) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            client.sendmail(SENDER, ["later@example.org"], message())
        assert refused.value.recipients == {"later@example.org": (451, b"4.3.0 Try again later")}
        # partly refused: the other recipient still gets it
        client.sendmail(SENDER, ["later@example.org", "ok@example.org"], message())
    assert server.wait_for(1)[0].rcpt_tos == ("ok@example.org",)
    assert rule.fired == 2


def test_550_at_data(server: SmtpServer) -> None:
    server.add(Rule(lambda rcpt: rcpt.startswith("gone@"), stage="data", reply="550 5.1.1 No"))
    with connect(server) as client:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail(SENDER, ["gone@example.org"], message())
        assert refused.value.smtp_code == 550
        client.sendmail(SENDER, ["here@example.org"], message())  # same connection goes on
    assert [m.rcpt_tos for m in server.wait_for(1)] == [("here@example.org",)]
    assert server.connections == 1


def test_421_replies_then_closes(server: SmtpServer) -> None:
    server.add(Rule("busy", reply="421 4.7.0 Too busy, closing"))
    server.add(Rule("slow", stage="data", reply="421 4.7.0 Too busy, closing"))
    client = connect(server)
    client.ehlo()
    client.mail(SENDER)
    assert client.rcpt("busy@example.org") == (421, b"4.7.0 Too busy, closing")
    assert client.sock is not None
    assert client.sock.recv(1) == b""  # the server closed the connection
    client.close()
    with connect(server) as client, pytest.raises(smtplib.SMTPDataError) as refused:
        client.sendmail(SENDER, ["slow@example.org"], message())
    assert refused.value.smtp_code == 421
    assert server.messages == []
    assert server.connections == 2


def test_drop_at_rcpt(server: SmtpServer) -> None:
    server.add(Rule("void", drop=True))
    with connect(server) as client, pytest.raises(smtplib.SMTPServerDisconnected):
        client.sendmail(SENDER, ["void@example.org"], message())
    assert server.messages == []
    assert server.dropped == []


def test_drop_at_data_is_not_accepted(server: SmtpServer, tmp_path: Path) -> None:
    with SmtpServer(spool=tmp_path) as spooling:
        spooling.add(Rule("void", stage="data", drop=True, times=1))
        with connect(spooling) as client, pytest.raises(smtplib.SMTPServerDisconnected):
            client.sendmail(SENDER, ["void@example.org"], message("<lost@x>"))
        # the bytes arrived, but no reply went out: not accepted, not spooled
        assert [m.message_id for m in spooling.dropped] == ["<lost@x>"]
        assert spooling.messages == []
        assert list(tmp_path.iterdir()) == []
        with connect(spooling) as client:  # the rule is spent; a retry goes through
            client.sendmail(SENDER, ["void@example.org"], message("<lost@x>"))
        assert [m.message_id for m in spooling.wait_for(1)] == ["<lost@x>"]
        assert spooling.connections == 2


def test_times_limited_rule_expires(server: SmtpServer) -> None:
    rule = server.add(Rule("", reply="451 4.3.0 Try again later", times=2))
    with connect(server) as client:
        for _ in range(2):
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                client.sendmail(SENDER, ["a@example.org"], message())
        client.sendmail(SENDER, ["a@example.org"], message())
    assert len(server.wait_for(1)) == 1
    assert rule.fired == 2 and rule.spent


def test_accepting_rule_changes_only_the_wording(server: SmtpServer) -> None:
    server.add(Rule("", stage="data", reply="250 2.0.0 Queued as ABC"))
    with connect(server) as client:
        client.ehlo()
        client.mail(SENDER)
        client.rcpt("a@example.org")
        assert client.data(message()) == (250, b"2.0.0 Queued as ABC")
    assert len(server.wait_for(1)) == 1


def test_rule_validation() -> None:
    with pytest.raises(ValueError):
        Rule("x")
    with pytest.raises(ValueError):
        Rule("x", reply="451 later", drop=True)
    with pytest.raises(ValueError):
        Rule("x", reply="try later")
    with pytest.raises(ValueError):
        Rule("x", stage="mail", reply="451 later")


def test_clear_forgets_messages_and_rules(server: SmtpServer) -> None:
    server.add(Rule("", reply="550 5.1.1 No such user"))
    server.clear()
    with connect(server) as client:
        client.sendmail(SENDER, ["a@example.org"], message())
    server.wait_for(1)
    server.clear()
    assert server.messages == [] and server.connections == 0
    with pytest.raises(TimeoutError):
        server.wait_for(1, timeout=0.1)


def test_spool_is_written_before_the_reply(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    with SmtpServer(spool=spool) as server:
        with connect(server) as client:
            client.sendmail(SENDER, ["a@example.org"], message("<one/../x@y>"))
            # the 250 has been read: the file must already be complete
            assert [p.name for p in spool.iterdir()] == ["000001-one_.._x@y.eml"]
            assert read_spool(spool) == server.messages
            client.sendmail(SENDER, ["b@example.org"], message(""))
        # a client that sends the data and disappears before reading the reply
        with socket.create_connection((server.host, server.port), timeout=10) as raw:
            stream = raw.makefile("rb")
            stream.readline()
            for line in (b"HELO me", b"MAIL FROM:<x@y>", b"RCPT TO:<c@y>", b"DATA"):
                raw.sendall(line + b"\r\n")
                stream.readline()
            raw.sendall(message("<gone@y>") + b".\r\n")
            stream.close()
        accepted = server.wait_for(3)
    assert read_spool(spool) == accepted
    assert sorted(p.name for p in spool.iterdir()) == [
        "000001-one_.._x@y.eml",
        "000002-no-id.eml",
        "000003-gone@y.eml",
    ]
    with SmtpServer(spool=spool) as again, connect(again) as client:
        client.sendmail(SENDER, ["d@example.org"], message("<next@y>"))
    assert [m.message_id for m in read_spool(spool)][-1] == "<next@y>"
    assert sorted(p.name for p in spool.iterdir())[-1] == "000004-next@y.eml"


def test_server_side_error_is_a_451(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    with SmtpServer(spool=spool) as server, connect(server) as client:
        spool.rmdir()  # writing the spool file fails
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail(SENDER, ["a@example.org"], message())
        assert refused.value.smtp_code == 451
        assert [type(e) for e in server.errors] == [FileNotFoundError]
        assert server.messages == []
        spool.mkdir()
        client.sendmail(SENDER, ["a@example.org"], message())  # the connection goes on
        assert len(server.wait_for(1)) == 1


def test_auth() -> None:
    with SmtpServer(auth=("digest", "s3cret:/@")) as server:
        target = parse_smtp_url(server.url)
        assert (target.user, target.password, target.port) == ("digest", "s3cret:/@", server.port)
        with connect(server) as client:
            with pytest.raises(smtplib.SMTPSenderRefused) as refused:
                client.sendmail(SENDER, ["a@example.org"], message())
            assert refused.value.smtp_code == 530
            with pytest.raises(smtplib.SMTPAuthenticationError) as failed:
                client.login("digest", "wrong")
            assert failed.value.smtp_code == 535
            client.login("digest", "s3cret:/@")  # PLAIN
            client.sendmail(SENDER, ["a@example.org"], message())
        with connect(server) as client:
            client.ehlo()
            client.user, client.password = "digest", "s3cret:/@"
            assert client.auth("LOGIN", client.auth_login)[0] == 235
            client.sendmail(SENDER, ["b@example.org"], message())
        assert len(server.wait_for(2)) == 2


def test_starttls(tls: tuple[ssl.SSLContext, Path]) -> None:
    context, cert_file = tls
    with SmtpServer(tls=context, require_starttls=True, auth=("u", "p")) as server:
        target = parse_smtp_url(server.url)
        assert target.starttls and not target.implicit_tls
        with connect(server) as client:
            client.ehlo()
            assert client.has_extn("starttls")
            assert client.mail(SENDER)[0] == 530  # TLS first
            client.starttls(context=client_context(cert_file))
            client.login("u", "p")
            client.sendmail(SENDER, ["a@example.org"], message())
            client.sendmail(SENDER, ["a@example.org"], message())
        first, second = server.wait_for(2)
        assert first.session == second.session
        assert server.connections == 1


def smtps(server: SmtpServer, cert_file: Path, host: str = "") -> smtplib.SMTP_SSL:
    context = client_context(cert_file)
    return smtplib.SMTP_SSL(host or server.host, server.port, context=context, timeout=10)


def test_implicit_tls(tls: tuple[ssl.SSLContext, Path], tmp_path: Path) -> None:
    context, cert_file = tls
    with SmtpServer(tls=context, implicit_tls=True) as server:
        assert server.url == f"smtps://127.0.0.1:{server.port}"
        assert parse_smtp_url(server.url).implicit_tls
        with smtps(server, cert_file) as client:
            client.sendmail(SENDER, ["a@example.org"], message())
        server.add(Rule("void", stage="data", drop=True))
        with (
            smtps(server, cert_file, "localhost") as client,
            pytest.raises(smtplib.SMTPServerDisconnected),
        ):
            client.sendmail(SENDER, ["void@example.org"], message())
        assert len(server.wait_for(1)) == 1
        assert server.connections == 2
    other, _ = self_signed(tmp_path)
    with (
        SmtpServer(tls=other, implicit_tls=True) as stranger,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        smtps(stranger, cert_file)


def test_delay() -> None:
    with SmtpServer(delay=0.3) as server, connect(server) as client:
        started = time.monotonic()
        client.sendmail(SENDER, ["a@example.org"], message())
        assert time.monotonic() - started >= 0.3


def test_stop_with_client_still_connected() -> None:
    server = SmtpServer().start()
    client = connect(server)
    client.ehlo()
    server.stop()
    with pytest.raises(smtplib.SMTPServerDisconnected):
        client.noop()
    client.close()


def test_throughput_one_connection(server: SmtpServer) -> None:
    count = 3000
    raw = message(body="A short digest line.\n" * 10)
    with connect(server) as client:
        client.ehlo()
        started = time.perf_counter()
        for _ in range(count):
            client.sendmail(SENDER, ["reader@example.org"], raw)
        elapsed = time.perf_counter() - started
    assert len(server.wait_for(count)) == count
    print(f"\nloopback SMTP: {count / elapsed:,.0f} messages/s over one connection")
