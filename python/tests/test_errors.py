"""Exceptions: one class per library error kind, all under recstore.Error,
each also the builtin exception a Python user would catch, with the Rust
library's message and the path concerned."""

import numpy as np
import pytest
import recstore
import recstore.errors as errors

from conftest import VERTEX


def test_every_class_is_a_recstore_error():
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, recstore.Error), name
        assert getattr(recstore, name) is cls, name
        assert cls.__doc__, name


@pytest.mark.parametrize("cls, builtin", [
    (recstore.NotFoundError, FileNotFoundError),
    (recstore.AlreadyExistsError, FileExistsError),
    (recstore.PermissionDeniedError, PermissionError),
    (recstore.DiskFullError, OSError),
    (recstore.SchemaError, ValueError),
    (recstore.RecordLengthError, ValueError),
    (recstore.IndexOutOfBoundsError, IndexError),
    (recstore.CapacityError, OverflowError),
    (recstore.LossyCastError, TypeError),
])
def test_errors_are_also_the_builtin_a_user_catches(cls, builtin):
    assert issubclass(cls, builtin)


def test_corruption_classes_share_a_base():
    for cls in (recstore.NotRecstoreError, recstore.ChecksumError, recstore.MeshError):
        assert issubclass(cls, recstore.CorruptError)


def test_a_capacity_past_the_address_space_is_a_capacity_error(tmp_path):
    with pytest.raises(recstore.CapacityError) as e:
        recstore.create(tmp_path / "huge.recs", VERTEX, capacity=2**62)
    assert "exceeds the address space" in str(e.value)
    assert e.value.path is None


def test_messages_are_the_librarys(tmp_path):
    with pytest.raises(recstore.SchemaError) as e:
        recstore.create(tmp_path / "x.recs", np.dtype([("a", "<u1"), ("b", "<f4")]))
    assert str(e.value).startswith("invalid schema:")
