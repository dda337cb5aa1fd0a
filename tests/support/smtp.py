"""A real SMTP server on loopback for tests and benchmarks, built on aiosmtpd.

    with SmtpServer() as server:
        server.add(Rule("bounce", reply="550 5.1.1 No such user"))
        ...send to server.url...
        received = server.wait_for(3)

The server listens on 127.0.0.1 and a port the OS picks, so parallel test workers never clash.
It records every accepted message byte for byte (`Received.data` is the DATA payload after
dot-unstuffing, with 8-bit content untouched) together with the number of the TCP connection
that carried it, so tests can check that a client reuses its connection.

Scripted answers (`Rule`) fire at RCPT or at the end of DATA:

* a reply (`"451 4.3.0 Try again later"`, `"550 5.1.1 No such user"`) is sent instead of 250;
  a 421 reply also closes the connection after it is sent;
* `drop=True` closes the TCP connection without any reply. At "data" the whole message has
  arrived when the connection is dropped; the client never learns whether it was taken, and
  the server treats it as not taken: it goes to `dropped`, not to `messages` or the spool.

With `spool`, each accepted message is also written to a file in that folder, and the file is
flushed to disk before the 250 reply leaves, so after a client is killed the spool holds
exactly what the server accepted (possibly one more than the client saw acknowledged).
`read_spool` loads such a folder back.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import json
import os
import re
import socket
import ssl
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

HOST = "127.0.0.1"

_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)
# an angle-bracketed dot-atom address, the common case aiosmtpd's full parser is slow for
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ADDRESS = re.compile(rf"<({_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)>(.*)")
_REPLY = re.compile(r"[2-5]\d\d(?:[ -]|$)")
_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]+")
_SPOOL_HEADER = b"X-Spool-Envelope: "


@dataclass(frozen=True)
class Received:
    """One message the server took (or, in `SmtpServer.dropped`, read and then dropped)."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes  # the DATA payload exactly as received, after dot-unstuffing
    message_id: str  # the Message-ID header's value, e.g. "<abc@example.org>"; "" if none
    session: int  # number of the TCP connection that carried it (1, 2, ...)


@dataclass(eq=False)
class Rule:
    """A scripted answer.

    `match` picks the recipients it applies to: a callable taking the address, or a substring
    of the address ("" matches every recipient). At "data" the rule applies when it matches
    any recipient of the message. Give either `reply` (a full SMTP reply line) or `drop=True`.
    `times` limits how often the rule fires (None: always); `fired` counts the firings.
    Rules are tried in the order they were added; the first live match wins.
    """

    match: Callable[[str], bool] | str = ""
    stage: str = "rcpt"
    reply: str = ""
    drop: bool = False
    times: int | None = None
    fired: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if self.stage not in ("rcpt", "data"):
            raise ValueError(f"stage must be 'rcpt' or 'data', not {self.stage!r}")
        if self.drop == bool(self.reply):
            raise ValueError("give either a reply or drop=True")
        if self.reply and not _REPLY.match(self.reply):
            raise ValueError(f"not an SMTP reply: {self.reply!r}")
        if self.times is not None and self.times < 0:
            raise ValueError("times must be >= 0 or None")

    def matches(self, rcpt: str) -> bool:
        if isinstance(self.match, str):
            return self.match in rcpt
        return bool(self.match(rcpt))

    @property
    def spent(self) -> bool:
        return self.times is not None and self.fired >= self.times

    @property
    def accepts(self) -> bool:
        """A 2xx reply: the recipient or message is taken, only the wording differs."""
        return self.reply.startswith("2")

    @property
    def closes(self) -> bool:
        return self.reply.startswith("421")


def message_id_of(data: bytes) -> str:
    """The Message-ID header's value (unfolded), looking at the header block only."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        end = data.find(b"\n\n")
    found = _MESSAGE_ID.search(data if end < 0 else data[: end + 2])
    if found is None:
        return ""
    return b" ".join(found.group(1).split()).decode("utf-8", "replace")


# --- spool -----------------------------------------------------------------------------------


def _spool_name(number: int, message_id: str) -> str:
    safe = _UNSAFE.sub("_", message_id.strip().strip("<>")).strip("._")[:80] or "no-id"
    return f"{number:06d}-{safe}.eml"


def _spool_number(path: Path) -> int:
    head = path.name.split("-", 1)[0]
    return int(head) if head.isdigit() else 0


def _write_spool(folder: Path, number: int, received: Received) -> Path:
    envelope = {
        "session": received.session,
        "mail_from": received.mail_from,
        "rcpt_tos": list(received.rcpt_tos),
    }
    path = folder / _spool_name(number, received.message_id)
    partial = folder / f".{path.name}.partial"
    with open(partial, "wb") as out:
        out.write(_SPOOL_HEADER + json.dumps(envelope).encode("ascii") + b"\r\n")
        out.write(received.data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, path)
    return path


def read_spool(folder: Path) -> list[Received]:
    """The messages a server with `spool=folder` accepted, in the order it accepted them.

    Each file is the message as received, preceded by one `X-Spool-Envelope:` line holding
    the envelope as JSON; the files are valid .eml files."""
    found: list[Received] = []
    for path in sorted(Path(folder).glob("*.eml"), key=_spool_number):
        raw = path.read_bytes()
        first, _, data = raw.partition(b"\r\n")
        if not first.startswith(_SPOOL_HEADER):
            raise ValueError(f"{path.name} is not a spool file")
        envelope = json.loads(first[len(_SPOOL_HEADER) :])
        found.append(
            Received(
                mail_from=envelope["mail_from"],
                rcpt_tos=tuple(envelope["rcpt_tos"]),
                data=data,
                message_id=message_id_of(data),
                session=envelope["session"],
            )
        )
    return found


# --- TLS -------------------------------------------------------------------------------------


def self_signed(tmp_dir: Path) -> tuple[ssl.SSLContext, Path]:
    """A server context with a new self-signed certificate for 127.0.0.1 and localhost, and
    the certificate's file, which clients load as their only trusted CA (`client_context`)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    tmp_dir = Path(tmp_dir)
    tmp_dir.mkdir(parents=True, exist_ok=True)
    cert_file = tmp_dir / "smtp-cert.pem"
    key_file = tmp_dir / "smtp-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context, cert_file


def client_context(cert_file: Path) -> ssl.SSLContext:
    """A client context that trusts only `cert_file` (hostnames are still checked)."""
    return ssl.create_default_context(cafile=str(cert_file))


# --- the server ------------------------------------------------------------------------------


class _Smtp(SMTP):
    """aiosmtpd's protocol, one per TCP connection, numbered by the handler."""

    def __init__(self, handler: _Handler, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.session_no = 0
        self._seen = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if not self._seen:  # STARTTLS calls this again for the same connection
            self._seen = True
            self.session_no = self.event_handler.connected(self, transport)
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        self.event_handler.disconnected(self)
        super().connection_lost(error)

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        # aiosmtpd parses every MAIL/RCPT address with the email package's header parser, a
        # third of the server's time per message; plain <dot-atom@domain> skips it.
        plain = _PLAIN_ADDRESS.fullmatch(arg) if arg else None
        if plain is None or self.local_part_limit:
            return super()._getaddr(arg)
        return plain.group(1), plain.group(2).lstrip()


def _close(server: SMTP) -> None:
    if server.transport is not None:
        server.transport.close()


def _abort(server: SMTP) -> None:
    if server.transport is not None:
        server.transport.abort()  # type: ignore[attr-defined]


class _Handler:
    """aiosmtpd handler hooks plus the state tests look at. The hooks run on the server's
    event loop thread; everything shared with the test thread is guarded by `cond`."""

    def __init__(self, auth: tuple[str, str] | None, spool: Path | None, delay: float) -> None:
        self.cond = threading.Condition()
        self.messages: list[Received] = []
        self.dropped: list[Received] = []
        self.errors: list[BaseException] = []
        self.rules: list[Rule] = []
        self.connections = 0
        self.sessions = 0
        self.ignore_peer: Any = None  # the controller's start-up probe
        self.live: set[_Smtp] = set()  # event loop thread only
        self.auth = (auth[0].encode(), auth[1].encode()) if auth else None
        self.spool = spool
        self.spooled = 0
        if spool is not None:
            spool.mkdir(parents=True, exist_ok=True)
            self.spooled = max((_spool_number(p) for p in spool.glob("*.eml")), default=0)
        self.delay = delay

    # connections

    def connected(self, server: _Smtp, transport: asyncio.BaseTransport) -> int:
        self.live.add(server)
        if transport.get_extra_info("peername") == self.ignore_peer:
            return 0
        with self.cond:
            self.connections += 1
            self.sessions += 1
            return self.sessions

    def disconnected(self, server: _Smtp) -> None:
        self.live.discard(server)

    async def shutdown(self) -> None:
        for server in list(self.live):
            _abort(server)
        current = asyncio.current_task()
        pending = [task for task in asyncio.all_tasks() if task is not current]
        if pending:
            await asyncio.wait(pending, timeout=5)

    # rules

    def fire(self, stage: str, rcpts: Iterable[str]) -> Rule | None:
        if not self.rules:
            return None
        with self.cond:
            for rule in self.rules:
                if rule.stage == stage and not rule.spent and any(map(rule.matches, rcpts)):
                    rule.fired += 1
                    return rule
        return None

    # SMTP hooks

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword) and (data.login, data.password) == self.auth:
            return AuthResult(success=True, auth_data=data)
        return AuthResult(success=False, handled=False)  # aiosmtpd then answers 535

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        if self.auth is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        rule = self.fire("rcpt", (address,))
        if rule is None or rule.accepts:
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(rcpt_options)
            return rule.reply if rule else "250 OK"
        if rule.drop:
            _abort(server)
            return "421 never sent"
        if rule.closes:
            server.loop.call_soon(_close, server)
        return rule.reply

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        rule = self.fire("data", envelope.rcpt_tos)
        if rule is not None and not rule.accepts:
            if rule.drop:
                with self.cond:
                    self.dropped.append(self._received(server, envelope))
                _abort(server)
                return "421 never sent"
            if rule.closes:
                server.loop.call_soon(_close, server)
            return rule.reply
        received = self._received(server, envelope)
        if self.spool is not None:
            self.spooled += 1
            _write_spool(self.spool, self.spooled, received)
        with self.cond:
            self.messages.append(received)
            number = len(self.messages)
            self.cond.notify_all()
        return rule.reply if rule else f"250 2.0.0 Ok: queued as {number}"

    async def handle_exception(self, error: Exception) -> str:
        with self.cond:
            self.errors.append(error)
        return f"451 4.3.0 Test server error: {type(error).__name__}"

    @staticmethod
    def _received(server: SMTP, envelope: Envelope) -> Received:
        data = envelope.original_content or b""
        return Received(
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            data=data,
            message_id=message_id_of(data),
            session=getattr(server, "session_no", 0),
        )


class _Controller(Controller):
    """aiosmtpd's threaded controller, serving on a socket bound beforehand (port 0), and
    probing it at start-up from a known local address so that probe is not counted."""

    def __init__(self, handler: _Handler, sock: socket.socket, **kwargs: Any) -> None:
        host, port = sock.getsockname()[:2]
        super().__init__(handler, hostname=host, port=port, **kwargs)
        self._sock = sock

    def factory(self) -> SMTP:
        return _Smtp(self.handler, loop=self.loop, **self.SMTP_kwargs)

    def _create_server(self) -> Any:
        return self.loop.create_server(self._factory_invoker, sock=self._sock, ssl=self.ssl_context)

    def _trigger_server(self) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((self.hostname, 0))
            self.handler.ignore_peer = probe.getsockname()
            probe.settimeout(self.ready_timeout)
            probe.connect((self.hostname, self.port))
            if self.ssl_context is None:
                probe.recv(1024)
                return
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            with context.wrap_socket(probe) as tls:
                tls.recv(1024)


class SmtpServer:
    """Context manager: an aiosmtpd server on 127.0.0.1 and a free port, stopped on exit.

    tls: server context (see `self_signed`). Without `implicit_tls`, STARTTLS is offered,
      and with `require_starttls` nothing but EHLO/NOOP/QUIT is allowed before it.
    implicit_tls: TLS from the first byte (smtps://).
    auth: (user, password); MAIL is refused with 530 until AUTH PLAIN or LOGIN succeeds with
      them. AUTH is offered without TLS too: the server is on loopback only.
    spool: folder that gets one file per accepted message before the 250 (see `read_spool`).
    delay: seconds to wait after the message data arrived before answering.
    """

    def __init__(
        self,
        *,
        tls: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
        require_starttls: bool = False,
        auth: tuple[str, str] | None = None,
        spool: Path | None = None,
        delay: float = 0.0,
    ) -> None:
        if (implicit_tls or require_starttls) and tls is None:
            raise ValueError("implicit_tls and require_starttls need a tls context")
        if implicit_tls and require_starttls:
            raise ValueError("implicit TLS has no STARTTLS")
        self.tls = tls
        self.implicit_tls = implicit_tls
        self.require_starttls = require_starttls
        self.auth = auth
        self.spool = Path(spool) if spool is not None else None
        self.delay = delay
        self.host = HOST
        self.port = 0
        self._handler = _Handler(auth, self.spool, delay)
        self._controller: _Controller | None = None

    # lifecycle

    def start(self) -> SmtpServer:
        if self._controller is not None:
            raise RuntimeError("already running")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind((HOST, 0))
            self.port = sock.getsockname()[1]
            smtp_kwargs: dict[str, Any] = {"auth_require_tls": False}
            if self.auth is not None:
                smtp_kwargs["authenticator"] = self._handler.authenticate
            if self.tls is not None and not self.implicit_tls:
                smtp_kwargs["tls_context"] = self.tls
                smtp_kwargs["require_starttls"] = self.require_starttls
            controller = _Controller(
                self._handler,
                sock,
                ssl_context=self.tls if self.implicit_tls else None,
                server_hostname="localhost",
                ident="test SMTP",
                **smtp_kwargs,
            )
            controller.start()
        except BaseException:
            sock.close()
            raise
        self._controller = controller
        return self

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._handler.shutdown(), controller.loop)
        try:
            future.result(timeout=10)
        finally:
            controller.stop()

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # what clients connect to

    @property
    def url(self) -> str:
        scheme = "smtps" if self.implicit_tls else "smtp"
        user = ""
        if self.auth is not None:
            user = f"{quote(self.auth[0], safe='')}:{quote(self.auth[1], safe='')}@"
        query = "?starttls=true" if self.require_starttls else ""
        return f"{scheme}://{user}{self.host}:{self.port}{query}"

    # scripting and inspection (safe from any thread)

    def add(self, rule: Rule) -> Rule:
        with self._handler.cond:
            self._handler.rules.append(rule)
        return rule

    def clear(self) -> None:
        """Forget messages, dropped messages, errors and rules, and count connections from 0.
        Session numbers keep growing, so a connection opened before stays distinguishable.
        Spool files are kept."""
        handler = self._handler
        with handler.cond:
            handler.messages.clear()
            handler.dropped.clear()
            handler.errors.clear()
            handler.rules.clear()
            handler.connections = 0

    @property
    def messages(self) -> list[Received]:
        with self._handler.cond:
            return list(self._handler.messages)

    @property
    def dropped(self) -> list[Received]:
        """Messages whose data arrived but whose connection a `drop` rule closed unanswered."""
        with self._handler.cond:
            return list(self._handler.dropped)

    @property
    def errors(self) -> list[BaseException]:
        """Exceptions raised while handling commands (each answered with a 451)."""
        with self._handler.cond:
            return list(self._handler.errors)

    @property
    def connections(self) -> int:
        """TCP connections accepted so far (since the last `clear`)."""
        with self._handler.cond:
            return self._handler.connections

    def wait_for(self, count: int, timeout: float = 10) -> list[Received]:
        """Block until at least `count` messages were accepted; all of them, or TimeoutError."""
        handler = self._handler
        with handler.cond:
            if not handler.cond.wait_for(lambda: len(handler.messages) >= count, timeout):
                raise TimeoutError(
                    f"{len(handler.messages)} of {count} messages arrived within {timeout}s"
                )
            return list(handler.messages)
