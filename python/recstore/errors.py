"""The exceptions of recstore: one class per kind of library error.

Every exception is a :class:`Error`; its message is the Rust library's, and
its ``path`` attribute names the file concerned (or is ``None``). Classes
also derive from the builtin exception a Python user would catch for the
same problem (``FileNotFoundError``, ``ValueError``, ``IndexError``, ...).
"""

import builtins


class Error(Exception):
    """Base class of every recstore error."""

    path: "str | None" = None


class IoError(Error, OSError):
    """The operating system refused an operation on the store's file."""


class NotFoundError(IoError, FileNotFoundError):
    """The store's file (or its directory) does not exist."""


class PermissionDeniedError(IoError, builtins.PermissionError):
    """The operating system denied access to the store's file."""


class AlreadyExistsError(IoError, FileExistsError):
    """``create`` found a file already there."""


class DiskFullError(IoError):
    """The disk (or quota) has no room for the store to grow; nothing was changed."""


class PoisonedError(Error):
    """An earlier write or disk sync of this writer failed: open the store again."""


class CorruptError(Error):
    """The file is damaged: a bad header, no valid commit, a truncated file."""


class NotRecstoreError(CorruptError):
    """The file does not start with the recstore magic bytes."""


class ChecksumError(CorruptError):
    """Records do not match their checksum (raised by ``verify``)."""


class UnsupportedError(Error):
    """The file needs a format version or feature this build cannot read."""


class SchemaMismatchError(Error):
    """The file holds other records than asked for."""


class SchemaError(Error, ValueError):
    """A schema (a dtype or a schema file) breaks a rule of the format."""


class LockedError(Error):
    """Another writer, in this or another process, holds the store."""


class ReadersPresentError(Error):
    """An in-place change was refused: readers have the store open (their
    arrays may hold the records it would change)."""


class UpdateInProgressError(Error):
    """A reader was refused: the writer is changing records in place; open
    again after its next flush or close."""


class UnsupportedOperationError(Error):
    """The operation is not available on this handle or this system."""


class ReadOnlyError(Error):
    """A write was asked of a store opened read-only."""


class IndexOutOfBoundsError(Error, IndexError):
    """An index past the end of the store."""


class CapacityError(Error, OverflowError):
    """The store would grow past what the format or the address space allows."""


class RecordLengthError(Error, ValueError):
    """Bytes given as records are not a whole number of records."""


class ReplacedError(Error):
    """The file a reader follows was replaced (another file renamed over its
    path) or deleted: open the store again to read the new file."""


class LossyCastError(Error, TypeError):
    """Records to append cannot be converted to the store's dtype without loss."""


class MeshError(CorruptError):
    """A mesh directory's stores do not agree with each other."""


__all__ = [
    "Error",
    "IoError",
    "NotFoundError",
    "PermissionDeniedError",
    "AlreadyExistsError",
    "DiskFullError",
    "PoisonedError",
    "CorruptError",
    "NotRecstoreError",
    "ChecksumError",
    "UnsupportedError",
    "SchemaMismatchError",
    "SchemaError",
    "LockedError",
    "ReadersPresentError",
    "UpdateInProgressError",
    "UnsupportedOperationError",
    "ReadOnlyError",
    "IndexOutOfBoundsError",
    "CapacityError",
    "RecordLengthError",
    "ReplacedError",
    "LossyCastError",
    "MeshError",
]
