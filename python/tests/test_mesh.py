"""`recstore.mesh.open`: a mesh imported by `recstore mesh import` opens as
zero-copy arrays that trimesh takes as they are, with the source's vertex
and face counts and bounds as trimesh reads them from the source."""

import numpy as np
import pytest
import recstore
import recstore.mesh
import trimesh

from conftest import run_cli


@pytest.fixture(scope="module")
def sphere():
    return trimesh.creation.icosphere(subdivisions=3, radius=2.5)


@pytest.mark.parametrize("ext", ["ply", "obj", "stl"])
def test_trimesh_takes_an_opened_mesh(tmp_path, sphere, ext):
    source = tmp_path / f"sphere.{ext}"
    sphere.export(source)
    run_cli("mesh", "import", source, tmp_path / "sphere.mesh")
    m = recstore.mesh.open(tmp_path / "sphere.mesh")
    # trimesh's reading of the source: STL is welded on both sides
    ref = trimesh.load(source, process=(ext == "stl"))
    assert m.triangles.shape == (len(ref.faces), 3) and m.triangles.dtype == np.uint32
    assert len(m.vertices) == len(ref.vertices)
    np.testing.assert_array_equal(m.bounds, ref.bounds.astype(np.float32))
    t = trimesh.Trimesh(vertices=m.vertices["position"], faces=m.triangles, process=False)
    assert t.is_watertight
    assert t.area == pytest.approx(ref.area, rel=1e-5)
    np.testing.assert_allclose(t.bounds, ref.bounds, rtol=1e-6)
    if ext == "stl":
        assert m.face_normals is not None and m.face_normals.shape == m.triangles.shape
    for a in (m.vertices, m.triangles):
        assert not a.flags.writeable
        base = a
        while isinstance(base, np.ndarray):
            base = base.base
        assert isinstance(base.obj, recstore._native.Mapping)  # a view of the mapping
    recstore.mesh.verify(tmp_path / "sphere.mesh")


def test_a_mesh_with_inconsistent_stores_is_refused(tmp_path, sphere):
    sphere.export(tmp_path / "s.ply")
    run_cli("mesh", "import", tmp_path / "s.ply", tmp_path / "s.mesh")
    with recstore.open_writer(tmp_path / "s.mesh" / "triangles.recs") as w:
        w.append(np.zeros(1, w.dtype))
    with pytest.raises(recstore.MeshError, match="the stores hold"):
        recstore.mesh.open(tmp_path / "s.mesh")
    with pytest.raises(recstore.NotFoundError):
        recstore.mesh.open(tmp_path / "nothing.mesh")


def test_a_header_store_of_another_record_type_is_refused(tmp_path, sphere):
    sphere.export(tmp_path / "s.ply")
    run_cli("mesh", "import", tmp_path / "s.ply", tmp_path / "s.mesh")
    header = tmp_path / "s.mesh" / "mesh.recs"
    header.unlink()
    with recstore.create(header, np.dtype([("version", "<u4"), ("layout", "<u4")])) as w:
        w.append(np.ones(1, w.dtype))
    with pytest.raises(recstore.MeshError, match="not a mesh header"):
        recstore.mesh.open(tmp_path / "s.mesh")


def test_a_store_names_its_record_and_fingerprint_without_its_schema_dict(tmp_path):
    # The handle names its record without building its schema dict: these
    # must be the schema's own, and the dtype the one the schema makes.
    dt = np.dtype([("position", "<f4", 3), ("color", "<u2", 3)], align=True)
    with recstore.create(tmp_path / "v.recs", dt, name="ColoredVertex"):
        pass
    h = recstore._native.Store.open(str(tmp_path / "v.recs"))
    schema = h.schema()
    assert h.record_name == schema["name"] == "ColoredVertex"
    assert h.fingerprint == schema["fingerprint"]
    assert isinstance(h.schema_block, bytes) and b"ColoredVertex" in h.schema_block
    from recstore._dtype import dtype_of, dtype_of_store
    assert dtype_of_store(h) == dtype_of(schema) == recstore.open(tmp_path / "v.recs").dtype
