"""Reads a PLY file with plyfile (independent of recstore's parser) and
prints what the mesh tests compare: counts, bounds, the first vertices."""
import json
import sys

import numpy as np
from plyfile import PlyData

ply = PlyData.read(sys.argv[1])
v = ply["vertex"]
xyz = np.stack([v["x"], v["y"], v["z"]], axis=1).astype(np.float32)
triangles = 0
if "face" in ply:
    names = ply["face"].data.dtype.names
    key = "vertex_indices" if "vertex_indices" in names else "vertex_index"
    triangles = int(sum(max(len(f) - 2, 0) for f in ply["face"].data[key]))
print(json.dumps({
    "vertices": int(len(xyz)),
    "triangles": triangles,
    "min": [float(x) for x in xyz.min(axis=0)],
    "max": [float(x) for x in xyz.max(axis=0)],
    "first": [[float(c) for c in p] for p in xyz[:3]],
}))
