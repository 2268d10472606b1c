"""A request body as it streams in (BaseHandler is a stream_request_body handler): kept up to
the route's limit, refused past it with a JSON 413, and never before the request is
authenticated, since the handler makes a Body only once prepare has checked its credential.

A body too long by its Content-Length is not kept. The 413 goes at once when the client waits
for a 100 Continue before sending, or claims more than DRAIN_MAX. Otherwise the client is
sending the body already (Python's urllib and requests write all of it before they read), and
closing on unread bytes would reset the connection and lose the answer: the body is read and
thrown away chunk by chunk, and the 413 follows its last byte. The server's body_timeout
bounds how long that may take."""
from relay.core.errors import ApiError

DRAIN_MAX = 32 * 1024 * 1024


def too_large(limit: int) -> ApiError:
    return ApiError(413, "body_too_large", f"the body is over {limit} bytes")


def _declared_length(headers) -> int | None:
    """Content-Length, if it is one. (Over 12 digits is over any limit, and int() of
    thousands of digits raises.)"""
    text = headers["Content-Length"].strip() if "Content-Length" in headers else ""
    if not (text.isascii() and text.isdigit()):
        return None           # none, or one tornado refuses before reading
    return DRAIN_MAX + 1 if len(text) > 12 else int(text)


class Body:
    def __init__(self, request, limit: int):
        self.limit = limit
        self._chunks: list[bytes] = []
        self._received = 0
        self._declared = _declared_length(request.headers)
        self.refused = self._declared is not None and self._declared > limit
        if self.refused and (self._declared > DRAIN_MAX or
                             request.headers.get("Expect", "").lower() == "100-continue"):
            raise too_large(limit)
        # Past the server's own limit tornado would cut a body off with a bare 400 before
        # take() saw it; a chunked body declares no length, so take() counts.
        request.connection.set_max_body_size(DRAIN_MAX)

    def take(self, chunk: bytes) -> ApiError | None:
        """Takes a chunk; returns the 413 to answer now, if it is time to."""
        self._received += len(chunk)
        if self.refused:
            return too_large(self.limit) if self._received >= self._declared else None
        if self._received > self.limit:
            return too_large(self.limit)
        self._chunks.append(chunk)
        return None

    @property
    def data(self) -> bytes:
        if len(self._chunks) > 1:
            self._chunks[:] = [b"".join(self._chunks)]
        return self._chunks[0] if self._chunks else b""
