"""Run an ASGI app under uvicorn in a background thread.

Used by the tests, the shell and the embedded defaults to stand up real HTTP servers on
loopback::

    with ServerThread(app) as server:
        requests.get(server.url + "/healthz")

The listening socket is bound and put in listen state *before* the thread starts, so a client
may connect as soon as the constructor returns: the kernel queues the connection until uvicorn
accepts it. No polling, no sleeps.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

import uvicorn


class ServerThread:
    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        # IPPROTO_TCP, not the default 0: asyncio turns Nagle off (TCP_NODELAY) only on
        # accepted sockets whose proto says TCP, and they inherit this socket's.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self._socket.listen(1024)
        bound_host, bound_port = self._socket.getsockname()[:2]
        self.host: str = bound_host
        self.port: int = bound_port
        self.url = f"http://{bound_host}:{bound_port}"
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name=f"http-{bound_port}",
            daemon=True,
        )

    @classmethod
    def build(
        cls, make_app: Callable[[str], Any], host: str = "127.0.0.1", port: int = 0
    ) -> ServerThread:
        """For an app that must know its own URL (e.g. to hand out links): the port is bound
        first, then ``make_app(url)`` builds the app.
        """
        server = cls(None, host, port)
        server._server.config.app = make_app(server.url)
        return server

    @property
    def app(self) -> Any:
        """The ASGI app served (for its state: e.g. the local Coviu's webhook sender)."""
        return self._server.config.app

    def start(self) -> ServerThread:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join()
        self._socket.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
