"""What kerascope asks of an HTTP server, and what it accepts back.

A server is as untrusted as a file. fsspec's HTTP filesystem (aiohttp underneath)
would inflate a gzip- or deflate-encoded response whole, read a body as long as the
server cares to send, wait on a silent server for as long as the command runs, and
parse a listing page with a regular expression that backtracks. So every request
asks for the bytes as they are (`Accept-Encoding: identity`) and nothing is ever
inflated; a response with a `Content-Encoding` is refused, as is a body longer than
the range asked for, or a whole file sent for a range; a connection that goes
`RESPONSE_SECONDS` without a byte is dropped; and a folder's listing page is read
to at most `MAX_LISTING_PAGE` bytes, at a least rate, and scanned for links in one
pass. `source.RemoteSource` adds a deadline to each call and a budget to the command.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import urlparse

import aiohttp

RESPONSE_SECONDS = 2.5  # to connect, to begin answering, and between two pieces of a body
MIN_RATE = 256 * 1024  # bytes a second a body must average once it has begun
MAX_LISTING_PAGE = 4 * 1024 * 1024  # an HTTP server's page listing a folder
MAX_UNRANGED = MAX_LISTING_PAGE  # any other body not asked for by range


class RemoteRefused(aiohttp.ClientError):
    """A response kerascope will not take; the message says why, in one line."""

    refusal = True


def options() -> dict[str, Any]:
    """fsspec storage options for an `http(s)://` URL that make every response bounded."""
    return {
        "headers": {"Accept-Encoding": "identity"},
        "client_kwargs": {
            "auto_decompress": False,
            "response_class": BoundedResponse,
            "timeout": aiohttp.ClientTimeout(
                total=None, sock_connect=RESPONSE_SECONDS, sock_read=RESPONSE_SECONDS
            ),
        },
    }


class BoundedResponse(aiohttp.ClientResponse):
    """A response held to what was asked: no content encoding, no more bytes than the
    range requested (or `MAX_UNRANGED` without one), and a range served as a range."""

    async def start(self, connection: Any) -> BoundedResponse:
        await super().start(connection)
        encoding = self.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            self.close()
            raise RemoteRefused(
                f"the server sent its bytes {encoding}-encoded though asked for them as they are; "
                "kerascope does not inflate what a server sends"
            )
        asked = _range_length(self.request_info.headers.get("Range"))
        if asked is not None and self.status == 200 and not _whole_file_fits(self, asked):
            self.close()
            raise RemoteRefused("the server does not serve byte ranges (it sent the whole file)")
        if asked is not None and self.content_length is not None and self.content_length > asked:
            self.close()
            raise RemoteRefused(
                f"the server sent {self.content_length:,} bytes where {asked:,} were asked for"
            )
        return self

    def _most(self) -> int:
        asked = _range_length(self.request_info.headers.get("Range"))
        return MAX_UNRANGED if asked is None else asked

    async def read(self) -> bytes:
        if self._body is None:
            most, chunks, received = self._most(), [], 0
            try:
                while chunk := await self.content.readany():
                    received += len(chunk)
                    if received > most:
                        raise RemoteRefused(f"the server sent more than the {most:,} bytes asked for")
                    chunks.append(chunk)
            except BaseException:
                self.close()
                raise
            self._body = b"".join(chunks)
        return await super().read()


def _range_length(header: str | None) -> int | None:
    """How many bytes a `Range: bytes=A-B` header asks for; None without one."""
    if not header or not header.startswith("bytes="):
        return None
    first, _, last = header[len("bytes=") :].partition("-")
    if not (first.isdigit() and last.isdigit()):
        return None
    return max(int(last) - int(first) + 1, 0)


def _whole_file_fits(response: aiohttp.ClientResponse, asked: int) -> bool:
    """A server may answer a range from the start with the whole file when the file is
    no longer than the range: that is still what was asked for."""
    header = response.request_info.headers.get("Range", "")
    return (
        header.startswith("bytes=0-")
        and response.content_length is not None
        and response.content_length <= asked
    )


async def listing_page(fs: Any, url: str) -> bytes:
    """The page a server lists a folder on, at most `MAX_LISTING_PAGE` bytes, arriving
    at `MIN_RATE` after `RESPONSE_SECONDS` of grace (so an endless or trickling page
    ends early)."""
    session = await fs.set_session()
    started = time.monotonic()
    async with session.get(fs.encode_url(url), **fs.kwargs) as response:
        if response.status == 404:
            raise FileNotFoundError(url)
        response.raise_for_status()
        chunks, received = [], 0
        while True:
            allowed = started + RESPONSE_SECONDS + (received + 65536) / MIN_RATE - time.monotonic()
            try:
                chunk = await asyncio.wait_for(response.content.readany(), max(allowed, 0.001))
            except asyncio.TimeoutError:
                raise RemoteRefused(
                    f"the listing page arrived slower than {MIN_RATE // 1024} KiB/s"
                ) from None
            if not chunk:
                return b"".join(chunks)
            received += len(chunk)
            if received > MAX_LISTING_PAGE:
                raise RemoteRefused(f"a listing page of more than {MAX_LISTING_PAGE:,} bytes")
            chunks.append(chunk)


def page_links(page: bytes, url: str) -> list[str]:
    """The URLs a listing page links to under `url`, as fsspec's own listing names them
    (absolute, or relative to the folder), found in one pass: each `href=` attribute's
    quoted value, by `str.find`, never a regular expression."""
    text = page.decode("utf-8", "ignore")
    lowered = text.lower()
    base = urlparse(url)
    inside = url.rstrip("/") + "/"
    links: set[str] = set()
    position = 0
    while (found := lowered.find("href=", position)) >= 0:
        quote_at = found + len("href=")
        position = quote_at
        quote = text[quote_at : quote_at + 1]
        if quote not in ('"', "'"):
            continue
        end = text.find(quote, quote_at + 1)
        if end < 0:
            break
        position = end + 1
        link = text[quote_at + 1 : end]
        if not link or link in ("..", "../"):
            continue
        if link.startswith("/") and len(link) > 1:
            link = f"{base.scheme}://{base.netloc}{link}"
        if link.startswith("http"):
            if link.replace("https", "http").startswith(inside.replace("https", "http")):
                links.add(link)
        else:
            links.add(inside + link.lstrip("/"))
    return sorted(links)
