"""The local Coviu Session API: every call of the seed spec, over HTTP, persisted in SQLite.

Run it on its own with ``coviu-slack coviu-server --client KEY:SECRET``, or in Python::

    from bot.coviu.server import ClientRegistration, create_app
    from bot.httpserve import ServerThread

    app = create_app("coviu.db", [ClientRegistration.parse("key:secret:clinic")])
    with ServerThread(app) as server:
        ...  # POST {server.url}/v1/auth/token, then /v1/sessions ...

Each participant's ``entry_url`` (``<public_url>/session/<participant_id>``) is served too: a
page where hosts enter directly and guests wait until a host lets them in, open from 10 minutes
before the start; ``GET /v1/sessions/<id>/summary`` tells the API client who came and when.

Modules: ``app`` (routes), ``auth`` (clients, OAuth2 tokens), ``service`` (the session and
participant rules), ``entry`` (the entry and let-in rules, and their record), ``pages`` (the
entry pages' HTML; their CSS and script are in ``static/``), ``store`` (SQLite schema and
queries), ``schemas`` (request and response bodies), ``errors`` (the
``{"error": {"code", "message"}}`` shape).
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
