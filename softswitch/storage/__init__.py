"""Storage: SQLite (WAL) through one writer task; the event log and registrar bindings."""

from softswitch.storage.bindings import BINDING_FIELDS, BindingRepository, StoredBinding
from softswitch.storage.database import Database
from softswitch.storage.errors import StorageError
from softswitch.storage.events import Event, EventLog, Subscription, SubscriptionClosed
from softswitch.storage.interfaces import BindingStore, EventStore, Storage
from softswitch.storage.migrations import LATEST, MIGRATIONS, migrate
from softswitch.storage.writer import Writer, WriterStats

__all__ = ["BINDING_FIELDS", "LATEST", "MIGRATIONS", "BindingRepository", "BindingStore",
           "Database", "Event", "EventLog", "EventStore", "Storage", "StorageError",
           "StoredBinding", "Subscription", "SubscriptionClosed", "Writer", "WriterStats",
           "migrate"]
