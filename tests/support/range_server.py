"""A real HTTP server on 127.0.0.1 that serves a folder, honours `Range`, and counts
every byte it sends: what a remote read fetched, measured at the server."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

_RANGE = re.compile(r"bytes=(\d+)-(\d*)$")


class Served:
    """What the server sent: bytes in bodies, and the requests by path."""

    def __init__(self) -> None:
        self.bytes = 0
        self.requests: list[tuple[str, str, str | None]] = []  # (method, path, Range header)
        self.lock = threading.Lock()


def _handler(folder: Path, served: Served, ranges: bool):
    class Handler(SimpleHTTPRequestHandler):
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
            path = Path(self.translate_path(self.path))
            if path.is_dir():
                self._listing(path, body)
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
            if ranges:
                self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            if body:
                with path.open("rb") as stream:
                    stream.seek(start)
                    data = stream.read(end - start + 1)
                with served.lock:
                    served.bytes += len(data)
                self.wfile.write(data)

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


@contextmanager
def range_server(folder: Path, ranges: bool = True) -> Iterator[tuple[str, Served]]:
    """`(base URL, what was served)` of a server on a free port of 127.0.0.1, for the block."""
    served = Served()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(folder, served, ranges))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
