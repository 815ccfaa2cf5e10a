"""A real HTTP server on 127.0.0.1 that serves a folder, honours `Range`, and counts
every byte it sends: what a remote read fetched, measured at the server.

It can also misbehave, as a hostile or broken server does (`MISBEHAVIOURS`): fall
silent, trickle its bodies, send ranges gzip-encoded (a small body that would inflate
to 512 MiB), send more than the range asked for, or list a folder on a page that never
ends."""

from __future__ import annotations

import os
import re
import socket
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

_RANGE = re.compile(r"bytes=(\d+)-(\d*)$")
MISBEHAVIOURS = ("silent", "trickle", "gzip", "long-body", "endless-listing")
_BOMB: list[bytes] = []


def gzip_bomb() -> bytes:
    """512 MiB of zeros, gzip-compressed (about 2 MiB), made once."""
    if not _BOMB:
        packer = zlib.compressobj(1, zlib.DEFLATED, 31)
        zeros = bytes(1 << 20)
        _BOMB.append(b"".join(packer.compress(zeros) for _ in range(512)) + packer.flush())
    return _BOMB[0]


class Served:
    """What the server sent: bytes in bodies, and the requests by path."""

    def __init__(self) -> None:
        self.bytes = 0
        self.requests: list[tuple[str, str, str | None]] = []  # (method, path, Range header)
        self.lock = threading.Lock()


def _handler(folder: Path, served: Served, ranges: bool, delay: float, misbehave: str = ""):
    class Handler(SimpleHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real servers and hubs do

        def setup(self):
            super().setup()
            # Headers and body go out in separate writes: without this, Nagle's algorithm
            # and the client's delayed ACK stall every keep-alive response by 40 ms.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, format, *args):
            pass

        def do_HEAD(self):
            self._serve(body=False)

        def do_GET(self):
            self._serve(body=True)

        def _serve(self, body: bool) -> None:
            with served.lock:
                served.requests.append((self.command, self.path, self.headers.get("Range")))
            if delay:
                time.sleep(delay)
            if misbehave == "silent":
                time.sleep(30)  # never answers within any client's patience
                return
            path = Path(self.translate_path(self.path))
            if path.is_dir():
                self._endless_listing(body) if misbehave == "endless-listing" else self._listing(path, body)
                return
            if body and "Range" in self.headers and misbehave in ("trickle", "gzip", "long-body"):
                self._misbehave()
                return
            if not path.is_file():
                self.send_error(404)
                return
            size = path.stat().st_size
            match = _RANGE.match(self.headers.get("Range", "")) if ranges else None
            start, end = 0, size - 1
            if match:
                start = int(match.group(1))
                end = min(int(match.group(2)) if match.group(2) else size - 1, size - 1)
                if start >= size:
                    self.send_error(416)
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            else:
                self.send_response(200)
            self.send_header("Content-Length", str(end - start + 1))
            stat = path.stat()
            self.send_header("ETag", f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"')  # as nginx makes it
            if ranges:
                self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            if body:
                with path.open("rb") as stream:
                    stream.seek(start)
                    left = end - start + 1
                    while left > 0:  # counted as it goes: a client may hang up part way
                        data = stream.read(min(left, 64 * 1024))
                        self.wfile.write(data)
                        left -= len(data)
                        with served.lock:
                            served.bytes += len(data)

        def _misbehave(self) -> None:
            """A range answered badly: trickled a byte at a time, gzip-encoded, or 64 MiB long
            with no length said."""
            self.send_response(206)
            if misbehave == "trickle":
                self.send_header("Content-Length", "4096")
                self.end_headers()
                for _ in range(4096):
                    self.wfile.write(b"\0")
                    self.wfile.flush()
                    time.sleep(0.5)
                return
            if misbehave == "gzip":
                data = gzip_bomb()
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            self.send_header("Connection", "close")  # a body that ends when the server says so
            self.end_headers()
            self.close_connection = True
            for _ in range(64):
                self.wfile.write(bytes(1 << 20))

        def _endless_listing(self, body: bool) -> None:
            """A folder's page that never ends: chunked, with a new link in every chunk."""
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            count = 0
            while body:
                chunk = "".join(f'<a href="m{count + i}.keras">m</a>\n' for i in range(1000)).encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                count += 1000

        def _listing(self, path: Path, body: bool) -> None:
            names = "".join(f'<a href="{name}">{name}</a>\n' for name in sorted(os.listdir(path)))
            data = f"<html><body>\n{names}</body></html>\n".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if body:
                self.wfile.write(data)

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # clients open many connections at once for concurrent ranges

    def handle_error(self, request, client_address):
        """A client that hangs up mid-response (as one does on a server ignoring
        `Range`) is not an error of the server's."""
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


@contextmanager
def range_server(
    folder: Path, ranges: bool = True, delay: float = 0.0, misbehave: str = ""
) -> Iterator[tuple[str, Served]]:
    """`(base URL, what was served)` of a server on a free port of 127.0.0.1, for the
    block; `delay` seconds before each response stand for a real network's round trip,
    and `misbehave` (one of `MISBEHAVIOURS`) makes it a bad server."""
    assert misbehave in ("", *MISBEHAVIOURS), misbehave
    if misbehave == "gzip":
        gzip_bomb()  # made before serving, so that it is sent at once
    served = Served()
    server = _Server(("127.0.0.1", 0), _handler(folder, served, ranges, delay, misbehave))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def main() -> None:
    """Serve a folder on 127.0.0.1 until interrupted, honouring `Range`, the way a hub
    or bucket does: `python tests/support/range_server.py FOLDER [PORT]`."""
    folder = Path(sys.argv[1])
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 8000
    server = _Server(("127.0.0.1", port), _handler(folder, Served(), True, 0.0))
    print(f"serving {folder} at http://127.0.0.1:{server.server_address[1]}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.server_close()


if __name__ == "__main__":
    main()
