#!/usr/bin/env bash
# Fetches the real meshes the mesh tests and benchmarks read, through the
# ordinary package clients, into target/mesh-data (never committed):
#   npm    stl-models 0.12.0   the Stanford bunny (binary and ascii STL) and
#                              a broken/ folder of malformed STL files
#   Debian libcgal-demo        data.tar.gz: PLY meshes and point clouds, STL
#   Debian cura                printer models as OBJ and STL
# Idempotent: a completed fetch leaves a stamp and is not repeated.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=target/mesh-data
stamp=$dest/.complete-v1
[ -f "$stamp" ] && exit 0
rm -rf "$dest" && mkdir -p "$dest/download"
(
    cd "$dest/download"
    npm pack --silent stl-models@0.12.0 >/dev/null
    apt-get download libcgal-demo cura >/dev/null 2>&1 || {
        apt-get update >/dev/null && apt-get download libcgal-demo cura >/dev/null
    }
)
tar xzf "$dest"/download/stl-models-0.12.0.tgz -C "$dest"
mv "$dest/package" "$dest/stl-models"
for pkg in libcgal-demo cura; do
    mkdir -p "$dest/deb-$pkg"
    dpkg-deb -x "$dest"/download/${pkg}_*.deb "$dest/deb-$pkg"
done
mkdir -p "$dest/cgal"
tar xzf "$dest"/deb-libcgal-demo/usr/share/doc/libcgal-dev/data.tar.gz -C "$dest/cgal" \
    --wildcards '*.ply' '*.stl'
mkdir -p "$dest/cura"
cp "$dest"/deb-cura/usr/share/cura/resources/meshes/*.{obj,stl,STL} "$dest/cura/" 2>/dev/null || true
rm -rf "$dest/download" "$dest/deb-libcgal-demo" "$dest/deb-cura"
touch "$stamp"
echo "mesh data in $dest: $(find "$dest" -type f | wc -l) files"
