"""A small loopback HTTP server base, shared by the demo's sample server, benchmarks and tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that writes whole responses and logs nothing."""

    def reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        """Send one complete response."""
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: callers report their own progress."""


class LoopbackServer(ThreadingHTTPServer):
    """A threaded server on a loopback address; `base` is its URL."""

    daemon_threads = True

    def __init__(self, handler: type[BaseHTTPRequestHandler], address: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__((address, port), handler)
        self.base = f"http://{address}:{self.server_address[1]}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients closing idle keep-alive connections is normal here."""


Server = TypeVar("Server", bound=LoopbackServer)


@contextmanager
def running(server: Server) -> Iterator[Server]:
    """Serve in a background thread for the duration of a block."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
