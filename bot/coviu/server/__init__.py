"""The local Coviu Session API: every call of the seed spec, over HTTP, persisted in SQLite.

Run it on its own with ``coviu-slack coviu-server --client KEY:SECRET``, or in Python::

    from bot.coviu.server import ClientRegistration, create_app
    from bot.httpserve import ServerThread

    app = create_app("coviu.db", [ClientRegistration.parse("key:secret:clinic")])
    with ServerThread(app) as server:
        ...  # POST {server.url}/v1/auth/token, then /v1/sessions ...

Modules: ``app`` (routes), ``auth`` (clients, OAuth2 tokens), ``service`` (the session and
participant rules), ``store`` (SQLite schema and queries), ``schemas`` (request and response
bodies), ``errors`` (the ``{"error": {"code", "message"}}`` shape).
"""

from bot.coviu.server.app import CoviuServer, create_app, register_client
from bot.coviu.server.auth import ClientRegistration
from bot.coviu.server.errors import ApiError, install_error_handlers

__all__ = [
    "ApiError",
    "ClientRegistration",
    "CoviuServer",
    "create_app",
    "install_error_handlers",
    "register_client",
]
