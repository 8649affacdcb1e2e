"""Local protocol servers (HTTP(S), a Stripe-shaped API, SMTP) on 127.0.0.1 for the probe tests.

A plain module: test modules load its fixtures with `pytest_plugins = ["servers"]` and
import its classes. Nothing here reaches beyond the loopback interface.

PYTEST_DONT_REWRITE: no asserts live here, and the marker stops pytest warning that the
module was imported (by a test module) before it was registered as a plugin.
"""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink

CERTIFICATE_DAYS = 45
OPENSSL_SELF_SIGNED = (
    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
    " -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1"
)


@dataclass
class ScriptedResponse:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_seconds: float = 0.0  # before the status line
    body_delay_seconds: float = 0.0  # after the headers, before the body


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # names lower-cased
    body: bytes


Responder = Callable[[RecordedRequest], ScriptedResponse]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 5  # a stray client cannot pin a handler thread

    def _answer(self) -> None:
        url = urlsplit(self.path)
        request = RecordedRequest(
            method=self.command,
            path=url.path,
            query=parse_qs(url.query),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self.rfile.read(int(self.headers.get("Content-Length") or 0)),
        )
        owner = self.server.owner
        response = owner.respond(request)
        if owner.stopping.wait(response.delay_seconds):
            return
        body = response.body.encode() if isinstance(response.body, str) else response.body
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.flush()
        if not owner.stopping.wait(response.body_delay_seconds) and self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, owner: ScriptedHttpServer, tls: ssl.SSLContext | None) -> None:
        self.owner, self.tls = owner, tls
        super().__init__(("127.0.0.1", 0), _Handler)

    def finish_request(self, request: socket.socket, client_address: tuple[str, int]) -> None:
        if self.tls is None:
            return super().finish_request(request, client_address)
        # The handshake runs here, in the connection's own thread, not in the accept loop.
        with self.tls.wrap_socket(request, server_side=True) as tls_request:
            super().finish_request(tls_request, client_address)

    def handle_error(self, request: socket.socket, client_address: tuple[str, int]) -> None:
        pass  # clients hanging up mid-answer (timeouts, body caps) are what the tests provoke


class ScriptedHttpServer:
    """Threaded HTTP(S) server whose answer per path is scripted at runtime; counts requests."""

    def __init__(self, certificate: SelfSignedCertificate | None = None) -> None:
        tls = None
        if certificate is not None:
            tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            tls.load_cert_chain(certificate.cert_file, certificate.key_file)
        self.scheme = "https" if tls else "http"
        self.stopping = threading.Event()
        self.requests: list[RecordedRequest] = []
        self._routes: dict[str, Responder] = {}
        self._lock = threading.Lock()
        self._server = _Server(self, tls)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self._server.server_address[1]}"

    def script(self, path: str, response: ScriptedResponse) -> None:
        self.route(path, lambda _request: response)

    def route(self, path: str, responder: Responder) -> None:
        with self._lock:
            self._routes[path] = responder

    def request_count(self, path: str) -> int:
        with self._lock:
            return sum(request.path == path for request in self.requests)

    def respond(self, request: RecordedRequest) -> ScriptedResponse:
        with self._lock:
            self.requests.append(request)
            responder = self._routes.get(request.path)
        return responder(request) if responder else ScriptedResponse(404, f"no script for {request.path}")

    def __enter__(self) -> ScriptedHttpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stopping.set()  # releases handlers sleeping on a scripted delay
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


PAYMENT_INTENT = {"id": "pi_3PgwardenStub", "object": "payment_intent", "status": "succeeded"}
STRIPE_PAYMENT_INTENTS = {
    "object": "list",
    "url": "/v1/payment_intents",
    "has_more": False,
    "data": [{**PAYMENT_INTENT, "amount": 2000, "currency": "usd", "livemode": False, "metadata": {}}],
}
STRIPE_BALANCE = {
    "object": "balance",
    "available": [{"amount": 0, "currency": "usd", "source_types": {"card": 0}}],
    "pending": [{"amount": 0, "currency": "usd", "source_types": {"card": 0}}],
    "livemode": False,
}


def stripe_error(status: int, error_type: str, message: str, code: str | None = None) -> ScriptedResponse:
    body = json.dumps({"error": {"type": error_type, "message": message, "code": code}})
    return ScriptedResponse(status, body, {"Content-Type": "application/json", "Request-Id": "req_stub_err"})


class StripeStub(ScriptedHttpServer):
    """The two Stripe reads the probe makes, with Bearer-key checking; errors and delays on demand.

    stripe-mock cannot answer errors, hence this stub (see health-alerting.md section 7).
    """

    def __init__(self, api_key: str = "sk_test_pgwarden_stub") -> None:
        super().__init__()
        self.api_key = api_key
        self._overrides: dict[str, ScriptedResponse] = {}
        self.route("/v1/payment_intents", self._answer_with(STRIPE_PAYMENT_INTENTS))
        self.route("/v1/balance", self._answer_with(STRIPE_BALANCE))

    @property
    def api_base(self) -> str:
        return self.url

    def override(self, path: str, response: ScriptedResponse) -> None:
        """Answer `path` with `response` (an error, a delay) whatever the key."""
        self._overrides[path] = response

    def _answer_with(self, payload: dict[str, object]) -> Responder:
        def answer(request: RecordedRequest) -> ScriptedResponse:
            if request.path in self._overrides:
                return self._overrides[request.path]
            key = request.headers.get("authorization", "").removeprefix("Bearer ")
            if key != self.api_key:
                message = f"Invalid API Key provided: {key[:8]}****{key[-4:]}"
                return stripe_error(401, "invalid_request_error", message)
            headers = {"Content-Type": "application/json", "Request-Id": "req_stub_ok"}
            return ScriptedResponse(200, json.dumps(payload), headers)

        return answer


@dataclass(frozen=True)
class SelfSignedCertificate:
    cert_file: str  # also the CA file a client trusts, since the certificate signs itself
    key_file: str


def make_self_signed_certificate(directory: Path, days: int = CERTIFICATE_DAYS) -> SelfSignedCertificate:
    """A localhost / 127.0.0.1 certificate made with the openssl CLI (no cryptography package here)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    command = [*OPENSSL_SELF_SIGNED.split(), "-days", str(days), "-keyout", str(key), "-out", str(cert)]
    subprocess.run(command, check=True, capture_output=True)
    return SelfSignedCertificate(str(cert), str(key))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> SelfSignedCertificate:
    return make_self_signed_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def http_server() -> Iterator[ScriptedHttpServer]:
    with ScriptedHttpServer() as server:
        yield server


@pytest.fixture
def https_server(certificate: SelfSignedCertificate) -> Iterator[ScriptedHttpServer]:
    with ScriptedHttpServer(certificate) as server:
        yield server


@pytest.fixture
def stripe_stub() -> Iterator[StripeStub]:
    with StripeStub() as stub:
        yield stub


def _running_smtp(tls: ssl.SSLContext | None = None) -> Iterator[Controller]:
    controller = Controller(Sink(), hostname="127.0.0.1", port=free_port(), tls_context=tls)
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[Controller]:
    yield from _running_smtp()


@pytest.fixture
def smtp_server_with_starttls(certificate: SelfSignedCertificate) -> Iterator[Controller]:
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(certificate.cert_file, certificate.key_file)
    yield from _running_smtp(tls)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections (kernel backlog) and never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    return free_port()  # nothing listens there once the probe socket is closed
