"""A real IMAP server for tests: pymap's in-memory backend in a subprocess, over IMAPS or plain IMAP.

The code under test talks TCP to another process, exactly as to a production server. pymap only
offers STARTTLS on its own, so this file is also the subprocess's entry point: it wires pymap's
IMAP handler to an asyncio server that speaks implicit TLS (IMAPS, port 993 style).
"""

from __future__ import annotations

import argparse
import asyncio
import imaplib
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from imapclient import imap_utf7

STARTUP_TIMEOUT = 20.0
USER = "kehu"
PASSWORD = "imap-test-password"  # a throwaway account on a throwaway server

# Explicit extensions instead of the distro's openssl.cnf: the certificate must be a valid trust
# anchor even under VERIFY_X509_STRICT (Python 3.13+ default), whatever the machine's defaults.
_OPENSSL_CONFIG = """\
[req]
distinguished_name = dn
x509_extensions = ext
prompt = no
[dn]
CN = localhost
[ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, digitalSignature, keyCertSign
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:localhost, IP:127.0.0.1
"""

_FETCH_UID = re.compile(rb"\bUID (\d+)")
_FETCH_FLAGS = re.compile(rb"\bFLAGS \(([^)]*)\)")


@dataclass
class ImapServer:
    host: str
    port: int
    user: str
    password: str
    ssl_context_for_clients: ssl.SSLContext  # trusts the server's self-signed certificate
    tls: bool = True  # False: plain IMAP, ssl_context_for_clients is then unused

    @contextmanager
    def _connect(self) -> Iterator[imaplib.IMAP4]:
        conn: imaplib.IMAP4
        if self.tls:
            conn = imaplib.IMAP4_SSL(
                self.host, self.port, ssl_context=self.ssl_context_for_clients, timeout=10
            )
        else:
            conn = imaplib.IMAP4(self.host, self.port, timeout=10)
        try:
            _ok(conn.login(self.user, self.password))
            yield conn
        finally:
            with suppress(OSError, imaplib.IMAP4.error):  # already gone: nothing left to close
                conn.logout()

    def append(self, folder: str, raw: bytes, flags: Sequence[str] = ()) -> None:
        """APPEND a message as a client would. imaplib turns bare LF into CRLF, so give raw
        messages CRLF line endings (as real mail has) if you compare bytes afterwards."""
        with self._connect() as conn:
            flag_list = f"({' '.join(flags)})" if flags else None
            _ok(conn.append(_mailbox(folder), flag_list, None, raw))

    def messages(self, folder: str) -> list[tuple[int, set[str], bytes]]:
        """(uid, flags, raw) of every message in folder, in UID order. \\Recent is left out: it is
        per session, so it would make assertions depend on who looked first."""
        with self._connect() as conn:
            _ok(conn.select(_mailbox(folder), readonly=True))  # EXAMINE: does not set \Seen
            typ, data = conn.uid("SEARCH", "ALL")
            _ok((typ, data))
            uids = (data[0] or b"").split()
            if not uids:
                return []
            typ, data = conn.uid("FETCH", b",".join(uids).decode(), "(UID FLAGS BODY.PEEK[])")
            _ok((typ, data))
        found: list[tuple[int, set[str], bytes]] = []
        for item in data:
            # A message comes as (b'N (UID u FLAGS (...) BODY[] {size}', raw); the rest is b')'.
            if not isinstance(item, tuple):
                continue
            head, raw = item
            uid = _FETCH_UID.search(head)
            flag_match = _FETCH_FLAGS.search(head)
            if uid is None or flag_match is None:
                raise AssertionError(f"unexpected FETCH response: {head!r}")
            flags = set(flag_match.group(1).decode().split()) - {"\\Recent"}
            found.append((int(uid.group(1)), flags, raw))
        return sorted(found, key=lambda message: message[0])

    def create_folder(self, name: str) -> None:
        with self._connect() as conn:
            _ok(conn.create(_mailbox(name)))


@contextmanager
def running_imap_server(tmp_path: Path, *, tls: bool = True) -> Iterator[ImapServer]:
    """Start a real IMAP server (IMAPS with a self-signed certificate generated into tmp_path when
    tls=True) on a free localhost port, with one user, an INBOX and the ability to create folders;
    stop it and clean up on exit."""
    # A fresh folder of its own, so one test can run several servers.
    root = Path(tempfile.mkdtemp(prefix="imap-server-", dir=tmp_path))
    host = "127.0.0.1"
    # -I: nothing in the tests folder may shadow a module in the child, nor PYTHON* variables leak.
    command = [sys.executable, "-I", str(Path(__file__).resolve()), "--root", str(root)]
    client_context = ssl.create_default_context()
    if tls:
        cert, key = _self_signed_certificate(root)
        command += ["--cert", str(cert), "--key", str(key)]
        client_context = ssl.create_default_context(cafile=str(cert))
    port_file = root / "port"
    log_path = root / "server.log"
    with log_path.open("wb") as log:  # a file, not a pipe: a chatty server can never block on it
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        port = _wait_until_listening(process, host, port_file, log_path)
        yield ImapServer(host, port, USER, PASSWORD, client_context, tls)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


def _ok(response: tuple[str, list]) -> None:
    typ, data = response
    if typ != "OK":
        raise imaplib.IMAP4.error(f"IMAP server said {typ}: {data!r}")


def _mailbox(name: str) -> str:
    # Modified UTF-7 (RFC 3501) so folder names like 已处理 work; quoted for names with spaces.
    encoded = imap_utf7.encode(name).decode("ascii")
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    # The openssl CLI ships with the base image; the cryptography package is not a dependency.
    config, cert, key = directory / "openssl.cnf", directory / "cert.pem", directory / "key.pem"
    config.write_text(_OPENSSL_CONFIG)
    command = "openssl req -x509 -days 2 -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
    subprocess.run(
        [*command.split(), "-config", str(config), "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
        timeout=STARTUP_TIMEOUT,
    )
    return cert, key


def _wait_until_listening(
    process: subprocess.Popen[bytes], host: str, port_file: Path, log_path: Path
) -> int:
    # The child binds port 0 and writes the port it got, so no other process can take it between
    # choosing and binding; then we check it really accepts TCP connections.
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            _fail(process, log_path, f"IMAP server exited with code {process.returncode}")
        if port_file.exists():
            port = int(port_file.read_text())
            try:
                socket.create_connection((host, port), timeout=1).close()
            except OSError:
                pass
            else:
                return port
        time.sleep(0.02)
    _fail(process, log_path, f"IMAP server did not accept connections in {STARTUP_TIMEOUT:.0f} s")


def _fail(process: subprocess.Popen[bytes], log_path: Path, reason: str) -> NoReturn:
    process.kill()
    process.wait()
    output = log_path.read_text(errors="replace")[-4000:]
    raise RuntimeError(f"{reason}; its output:\n{output}")


# --- The subprocess: pymap's IMAP handler and in-memory backend behind our own listener. ---------


async def _serve(root: Path, cert: str | None, key: str | None) -> None:
    # Imported here: only the child needs pymap.
    from proxyprotocol.reader import ProxyProtocolReader
    from pymap.backend.dict import DictBackend
    from pymap.imap import IMAPServer
    from pysasl.hashing import Cleartext

    # What pymap's own CLI would parse. The in-memory "dict" backend keeps messages for the life
    # of the process, shared by every session; pymap's maildir backend rewrites CRLF as LF (Python's
    # mailbox module does) and would hand back messages that are not byte-identical. tls=False only
    # turns off STARTTLS, since TLS (if any) is implicit on our listener, and lets LOGIN through.
    args = argparse.Namespace(
        demo_data=False, demo_user=USER, demo_password=PASSWORD,
        host="127.0.0.1", port=0, debug=False, cert=None, key=None, tls=False,
        passlib_cfg=None, proxy_protocol=None, inherited_sockets=None,
    )  # fmt: skip
    # Cleartext passwords and no failed-login delay: a throwaway account, and fast tests.
    backend, config = await DictBackend.init(args, hash_context=Cleartext(), invalid_user_sleep=0.0)
    config.apply_context()

    server_tls: ssl.SSLContext | None = None
    if cert is not None:
        server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_tls.load_cert_chain(cert, key)
    handler = ProxyProtocolReader(config.proxy_protocol).get_callback(
        IMAPServer(backend.login, config)
    )
    server = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=server_tls)
    port = server.sockets[0].getsockname()[1]
    # Written then renamed, so the parent never reads half a number.
    (root / "port.tmp").write_text(str(port))
    (root / "port.tmp").rename(root / "port")

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    # No wait_closed(): from Python 3.12 it waits for clients still connected; asyncio.run's
    # teardown cancels their tasks instead.
    server.close()


def _main() -> None:
    parser = argparse.ArgumentParser(description="Run the test IMAP server (used by the tests).")
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    options = parser.parse_args()
    # pymap's greeting looks up the FQDN on every connection; with no DNS that can stall.
    os.environ["FQDN"] = "localhost"
    asyncio.run(_serve(options.root, options.cert, options.key))


if __name__ == "__main__":
    _main()
