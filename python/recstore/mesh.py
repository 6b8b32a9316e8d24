"""Imported meshes (``recstore mesh import``), zero-copy.

A mesh directory holds ``mesh.recs`` (one header record: counts, bounds,
layout), ``vertices.recs``, ``triangles.recs`` and, for STL sources,
``face_normals.recs``. :func:`open` checks that they agree, in O(1), and maps
them::

    m = recstore.mesh.open("bunny.mesh")
    trimesh.Trimesh(m.vertices["position"], m.triangles, process=False)
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from . import _native
from ._dtype import dtype_of_store
from .errors import MeshError

HEADER = "mesh.recs"
VERTICES = "vertices.recs"
TRIANGLES = "triangles.recs"
FACE_NORMALS = "face_normals.recs"
_FACE_NORMAL = 8
_LAYOUTS = {1: "ColoredVertex", 2: "VertexNormalUv"}
_HEADER_FIELDS = {"version", "layout", "attributes", "vertex_count", "triangle_count",
                  "bounds_min", "bounds_max"}


class Mesh:
    """An opened mesh: read-only arrays over the mapped stores."""

    __slots__ = ("path", "vertices", "triangles", "face_normals", "bounds", "header")

    def __init__(self, path: str, vertices: np.ndarray, triangles: np.ndarray,
                 face_normals: "np.ndarray | None", bounds: np.ndarray, header: np.void) -> None:
        #: The mesh directory.
        self.path: str = path
        #: The vertices, a structured array (``position``, and ``color`` or
        #: ``normal`` and ``uv``).
        self.vertices: np.ndarray = vertices
        #: The triangles, an ``(n, 3)`` ``uint32`` array of vertex indices.
        self.triangles: np.ndarray = triangles
        #: One normal per triangle, ``(n, 3)`` ``float32``, or ``None``.
        self.face_normals: np.ndarray | None = face_normals
        #: ``[[min x, min y, min z], [max x, max y, max z]]``, as trimesh has it.
        self.bounds: np.ndarray = bounds
        #: The header record.
        self.header: np.void = header

    def __repr__(self) -> str:
        return (f"<recstore.mesh.Mesh {self.path!r}: {len(self.vertices)} vertices, "
                f"{len(self.triangles)} triangles>")


def _records(path: str) -> tuple[str, np.ndarray]:
    """The record name and the records of the store at ``path``, read-only
    over its mapping. The handle is let go at once: the array keeps the
    mapping alive (as after ``Reader.close()``)."""
    h = _native.Store.open(path, False, True)
    # A Mapping exports the buffer protocol, which the stubs cannot say on 3.11.
    mapping: Any = h.mapping()
    return h.record_name, np.frombuffer(mapping, dtype=dtype_of_store(h))


def open(path) -> Mesh:
    """Opens the mesh directory at ``path``, read-only, in O(1) of its size.

    The triangle indices were checked at import and the stores' checksums
    guard them since; :func:`verify` checks both."""
    # The handles straight from the native module, not Readers: a mesh opens
    # three or four stores, and this is the whole of its open time
    # (BENCHMARKS.md, the Python mesh table).
    path = os.fsdecode(os.fspath(path))
    _, headers = _records(os.path.join(path, HEADER))
    if len(headers) != 1:
        raise MeshError(f"{path}: {HEADER} holds {len(headers)} records, not 1; "
                        f"import the mesh again")
    header = headers[0]
    h = dict(zip(headers.dtype.names or (), header.item()))
    if not _HEADER_FIELDS <= h.keys():
        raise MeshError(f"{path}: {HEADER} holds records without the fields "
                        f"{sorted(_HEADER_FIELDS - h.keys())}: not a mesh header")
    version, layout, attributes = h["version"], h["layout"], h["attributes"]
    vertex_count, triangle_count = h["vertex_count"], h["triangle_count"]
    if version != 1 or layout not in _LAYOUTS:
        raise MeshError(f"{path}: header version {version}, layout {layout}: not a mesh this "
                        f"version of recstore wrote")
    name, vertices = _records(os.path.join(path, VERTICES))
    if name != _LAYOUTS[layout]:
        raise MeshError(f"{path}: {VERTICES} holds {name} records, the header says "
                        f"{_LAYOUTS[layout]}")
    triangles = _records(os.path.join(path, TRIANGLES))[1]["indices"]
    if len(vertices) != vertex_count or len(triangles) != triangle_count:
        raise MeshError(f"{path}: the header says {vertex_count} vertices and "
                        f"{triangle_count} triangles, the stores hold "
                        f"{len(vertices)} and {len(triangles)}")
    normals = None
    if attributes & _FACE_NORMAL:
        n = _records(os.path.join(path, FACE_NORMALS))[1]
        normals = n[(n.dtype.names or ("normal",))[0]]
        if len(normals) != len(triangles):
            raise MeshError(f"{path}: {len(normals)} facet normals for {len(triangles)} triangles")
    bounds = np.array([h["bounds_min"], h["bounds_max"]], dtype=np.float32)
    return Mesh(path, vertices, triangles, normals, bounds, header)


def verify(path) -> None:
    """Checks every store's checksums, that every triangle index is below the
    vertex count, and that the header's bounds are the vertices' bounds."""
    from . import open as open_store

    m = open(path)
    for name in (HEADER, VERTICES, TRIANGLES) + ((FACE_NORMALS,) if m.face_normals is not None else ()):
        with open_store(os.path.join(m.path, name)) as s:
            s.verify()
    if len(m.triangles) and int(m.triangles.max()) >= len(m.vertices):
        raise MeshError(f"{m.path}: a triangle index {int(m.triangles.max())} is not below the "
                        f"vertex count {len(m.vertices)}")
    if len(m.vertices):
        p = m.vertices["position"]
        actual = np.array([p.min(axis=0), p.max(axis=0)], dtype=np.float32)
        if not np.array_equal(actual, m.bounds):
            raise MeshError(f"{m.path}: the header's bounds {m.bounds.tolist()} are not the "
                            f"vertices' bounds {actual.tolist()}")
