"""`serve` writes each answer in one piece: head and body in one send (`bot.web._OneWrite`).

uvicorn writes a response's head as soon as the app starts answering, then its body: two
sends, two TCP segments, Slack's side woken twice. The transport here stands in for
asyncio's socket transport and records what would have been sent, write by write.
"""

from __future__ import annotations

import asyncio

import h11

from bot.web import _OneWrite


class Socket:
    """What asyncio's transport would send, one entry per send."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        if data:  # asyncio's transport sends nothing for b""
            self.sent.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> str:
        return f"info:{name}"


def answer(body: bytes) -> list[bytes]:
    """The writes uvicorn's h11 protocol makes for a 200 with `body`."""
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
    while conn.next_event() is not h11.NEED_DATA:  # the request, to the end
        pass
    length = str(len(body)).encode()
    return [
        conn.send(h11.Response(status_code=200, headers=[(b"content-length", length)])),
        conn.send(h11.Data(data=body)),
        conn.send(h11.EndOfMessage()),
    ]


def written(writes: list[bytes], *, then_close: bool = False) -> tuple[list[bytes], list[bytes]]:
    """(sent at once, sent by the end of the event loop's step)."""

    async def run() -> tuple[list[bytes], list[bytes]]:
        socket = Socket()
        transport = _OneWrite(socket, asyncio.get_running_loop())  # type: ignore[arg-type]
        for data in writes:
            transport.write(data)
        if then_close:
            transport.close()
        at_once = list(socket.sent)
        await asyncio.sleep(0)  # the loop's next step
        return at_once, socket.sent

    return asyncio.run(run())


def test_a_head_and_its_body_go_out_in_one_send():
    body = b'{"text": "Booking\xe2\x80\xa6"}'
    at_once, sent = written(answer(body))

    assert len(at_once) == 1 and sent == at_once
    assert at_once[0].startswith(b"HTTP/1.1 200 ") and at_once[0].endswith(b"\r\n\r\n" + body)


def test_an_empty_answer_goes_out_at_once_too():
    at_once, sent = written(answer(b""))

    assert len(at_once) == 1 and sent == at_once and at_once[0].startswith(b"HTTP/1.1 200 ")


def test_a_head_on_its_own_goes_out_by_the_end_of_the_step_and_before_a_close():
    head = answer(b"")[0]

    assert written([head]) == ([], [head])
    assert written([head], then_close=True) == ([head], [head])


def test_the_rest_is_the_real_transport():
    loop = asyncio.new_event_loop()
    try:
        transport = _OneWrite(Socket(), loop)  # type: ignore[arg-type]

        assert transport.get_extra_info("peername") == "info:peername"
        assert not transport.is_closing()
    finally:
        loop.close()
