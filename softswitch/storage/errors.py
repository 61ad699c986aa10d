"""Errors of the storage layer."""

from __future__ import annotations


class StorageError(Exception):
    """The database cannot be used as asked (e.g. it was made by a newer softswitch)."""
