"""The app's own records: one interface, SQLite (embedded default) or PostgreSQL behind it."""

from bot.storage.store import (
    CachedUser,
    DueReminder,
    ParticipantRecord,
    SessionRecord,
    Store,
)

__all__ = ["CachedUser", "DueReminder", "ParticipantRecord", "SessionRecord", "Store"]
