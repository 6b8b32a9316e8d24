//! Wavefront OBJ, read here in one pass over the bytes. tobj (used before)
//! does not fit what an OBJ file means: it renumbers the vertices of each
//! object from the corners its faces use, so vertices no face uses were
//! dropped (and left out of the bounds) and vertices shared between `o`
//! objects were duplicated, while OBJ indices are global to the file; it
//! reads lines as UTF-8 strings, so one Latin-1 byte in a comment failed
//! the whole file; and its errors carry no line.
//!
//! What is stored:
//! - every `v`, in file order, used by a face or not: vertex `k` of the
//!   mesh is the `k`-th `v` line;
//! - faces of three or more corners, fanned into triangles from their first
//!   corner; indices are 1-based or negative (counted back from the last
//!   element defined above the line), and must name an element defined
//!   above the line;
//! - a vertex's normal and texture coordinate from the first corner that
//!   uses it; a later corner that pairs the same `v` with another `vt`/`vn`
//!   (a texture seam, a hard edge) gets a copy of the vertex appended after
//!   all `v`s, one copy per distinct pairing;
//! - `v x y z w` divides by `w`; `v x y z r g b` carries a colour (0..1).
//!
//! Comments (`#` to the end of a line) are skipped as bytes, as are the
//! lines of statements not read (`o`, `g`, `s`, `usemtl`, ...), so their
//! text may be in any encoding; the words of the lines that are read must
//! be UTF-8 numbers and indices.

use super::{fan, malformed, Parsed};
use crate::error::{Location, MeshError, Result};
use crate::types::SourceFormat;
use rustc_hash::FxHashMap;
use std::path::Path;

/// A corner's optional texture coordinate and normal, 0-based.
type Pairing = (Option<u32>, Option<u32>);

/// Resolves an OBJ index (1-based, or negative from the end) against the
/// `count` elements defined so far.
fn resolve(index: i64, count: usize) -> Option<u32> {
    let count = count as u64;
    let i = match index {
        1.. if index as u64 <= count => index as u64 - 1,
        ..=-1 if index.unsigned_abs() <= count => count - index.unsigned_abs(),
        _ => return None,
    };
    u32::try_from(i).ok()
}

/// The words of a line, split at ASCII whitespace, before any `#`.
fn words(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    let data = line.split(|&b| b == b'#').next().unwrap_or_default();
    data.split(u8::is_ascii_whitespace)
        .filter(|w| !w.is_empty())
}

/// Everything read so far.
#[derive(Default)]
struct Reader {
    positions: Vec<[f32; 3]>,
    /// One per position once any `v` has a colour, white for the others.
    colors: Vec<[u16; 3]>,
    any_color: bool,
    texcoords: Vec<[f32; 2]>,
    normals: Vec<[f32; 3]>,
    /// The pairing of each position, from the first corner that uses it.
    pairing: Vec<Option<Pairing>>,
    /// Copies of positions paired otherwise: (position, pairing), and the
    /// index of each among the copies.
    copies: Vec<(u32, Pairing)>,
    copy_index: FxHashMap<(u32, Pairing), u32>,
    /// Triangles; a corner that names a copy holds the copy's index, and
    /// its place in `triangles` (as a flat corner index) is in `fixups`.
    triangles: Vec<[u32; 3]>,
    fixups: Vec<usize>,
    any_uv: bool,
    any_normal: bool,
    polygons: u64,
    points_and_lines: u64,
    free_form: u64,
    materials: bool,
}

/// Where a line is and what it is about, to name both in an error.
struct At<'a> {
    path: &'a Path,
    line: u64,
}

impl At<'_> {
    fn fail(&self, element: &str, message: String) -> MeshError {
        malformed(
            self.path,
            SourceFormat::Obj,
            element,
            Location::Line(self.line),
            message,
        )
    }

    /// A word as text; data words must be UTF-8.
    fn text<'w>(&self, element: &str, word: &'w [u8]) -> Result<&'w str> {
        std::str::from_utf8(word).map_err(|_| {
            self.fail(
                element,
                format!(
                    "\"{}\" holds bytes that are not UTF-8 text",
                    String::from_utf8_lossy(word)
                ),
            )
        })
    }

    /// The finite numbers of a `v`, `vt` or `vn` line.
    fn numbers<'w>(
        &self,
        element: &str,
        words: impl Iterator<Item = &'w [u8]>,
    ) -> Result<Vec<f32>> {
        let mut numbers = Vec::with_capacity(4);
        for word in words {
            let word = self.text(element, word)?;
            match word.parse::<f32>() {
                Ok(x) if x.is_finite() => numbers.push(x),
                _ => return Err(self.fail(element, format!("\"{word}\" is not a finite number"))),
            }
        }
        Ok(numbers)
    }
}

impl Reader {
    fn vertex(&mut self, at: &At, numbers: &[f32]) -> Result<()> {
        let element = format!("vertex {}", self.positions.len());
        let (position, color) = match *numbers {
            [x, y, z] => ([x, y, z], None),
            [x, y, z, w] => {
                if w == 0.0 {
                    return Err(at.fail(&element, "the weight w is 0".into()));
                }
                let p = [x / w, y / w, z / w];
                if p.iter().any(|c| !c.is_finite()) {
                    return Err(at.fail(
                        &element,
                        format!("{p:?} (x y z divided by w) is not finite"),
                    ));
                }
                (p, None)
            }
            [x, y, z, r, g, b] => ([x, y, z], Some([r, g, b])),
            _ => {
                return Err(at.fail(
                    &element,
                    format!(
                        "a vertex is x y z, x y z w, or x y z r g b; this one has {} numbers",
                        numbers.len()
                    ),
                ))
            }
        };
        if u32::try_from(self.positions.len()).is_err() {
            return Err(at.fail(
                &element,
                "more vertices than u32 triangle indices can name".into(),
            ));
        }
        let white = [u16::MAX; 3];
        if let Some(rgb) = color {
            if !self.any_color {
                self.any_color = true;
                self.colors = vec![white; self.positions.len()];
            }
            self.colors
                .push(rgb.map(|x| (f64::from(x) * 65535.0).round().clamp(0.0, 65535.0) as u16));
        } else if self.any_color {
            self.colors.push(white);
        }
        self.positions.push(position);
        self.pairing.push(None);
        Ok(())
    }

    /// The mesh vertex for a corner: the position itself when it is free
    /// or paired the same way, else its copy for this pairing.
    fn corner(&mut self, v: u32, pairing: Pairing) -> (u32, bool) {
        let slot = &mut self.pairing[v as usize];
        match slot {
            None => {
                *slot = Some(pairing);
                (v, false)
            }
            Some(p) if *p == pairing => (v, false),
            Some(_) => {
                let copies = &mut self.copies;
                let k = *self.copy_index.entry((v, pairing)).or_insert_with(|| {
                    copies.push((v, pairing));
                    (copies.len() - 1) as u32
                });
                (k, true)
            }
        }
    }

    fn face<'w>(
        &mut self,
        at: &At,
        kind: &[u8],
        words: impl Iterator<Item = &'w [u8]>,
    ) -> Result<()> {
        let element = format!("face {}", self.polygons + self.points_and_lines);
        let mut polygon: Vec<(u32, Pairing)> = Vec::new();
        for corner in words {
            let corner = at.text(&element, corner)?;
            let not_an_index = || {
                at.fail(
                    &element,
                    format!("\"{corner}\" is not an index (v, v/vt, v//vn or v/vt/vn)"),
                )
            };
            let mut parts = corner.split('/');
            let mut resolved = [None; 3];
            let lists = [
                (self.positions.len(), "vertex", "vertices"),
                (
                    self.texcoords.len(),
                    "texture coordinate",
                    "texture coordinates",
                ),
                (self.normals.len(), "normal", "normals"),
            ];
            for (k, (count, name, plural)) in lists.into_iter().enumerate() {
                let Some(part) = parts.next() else { break };
                if part.is_empty() && k > 0 {
                    continue;
                }
                let index: i64 = part.parse().map_err(|_| not_an_index())?;
                resolved[k] = Some(resolve(index, count).ok_or_else(|| {
                    at.fail(
                        &element,
                        format!(
                            "{name} index {index} is out of range: {count} {plural} are \
                             defined above this line"
                        ),
                    )
                })?);
            }
            if parts.next().is_some() {
                return Err(not_an_index());
            }
            let v = resolved[0].expect("the first part is never skipped");
            polygon.push((v, (resolved[1], resolved[2])));
        }
        if kind != b"f" || polygon.len() < 3 {
            self.points_and_lines += 1;
            return Ok(());
        }
        self.polygons += 1;
        let mut corners = Vec::with_capacity(polygon.len());
        let mut copied = Vec::with_capacity(polygon.len());
        for &(v, pairing) in &polygon {
            self.any_uv |= pairing.0.is_some();
            self.any_normal |= pairing.1.is_some();
            let (index, copy) = self.corner(v, pairing);
            corners.push(index);
            copied.push(copy);
        }
        let first = self.triangles.len();
        fan(&corners, &mut self.triangles);
        if copied.contains(&true) {
            // `fan` makes triangle t of corners 0, t + 1 and t + 2.
            for t in 0..self.triangles.len() - first {
                for (slot, i) in [0, t + 1, t + 2].into_iter().enumerate() {
                    if copied[i] {
                        self.fixups.push(3 * (first + t) + slot);
                    }
                }
            }
        }
        Ok(())
    }

    fn line(&mut self, at: &At, line: &[u8]) -> Result<()> {
        let mut words = words(line);
        let Some(keyword) = words.next() else {
            return Ok(());
        };
        match keyword {
            b"v" => {
                let element = format!("vertex {}", self.positions.len());
                let numbers = at.numbers(&element, words)?;
                self.vertex(at, &numbers)?;
            }
            b"vt" => {
                let element = format!("texture coordinate {}", self.texcoords.len());
                match at.numbers(&element, words)?[..] {
                    [u] => self.texcoords.push([u, 0.0]),
                    [u, v] | [u, v, _] => self.texcoords.push([u, v]),
                    ref other => {
                        return Err(at.fail(
                            &element,
                            format!(
                                "a texture coordinate is u [v [w]]; this one has {} numbers",
                                other.len()
                            ),
                        ))
                    }
                }
            }
            b"vn" => {
                let element = format!("normal {}", self.normals.len());
                match at.numbers(&element, words)?[..] {
                    [x, y, z] => self.normals.push([x, y, z]),
                    ref other => {
                        return Err(at.fail(
                            &element,
                            format!("a normal is x y z; this one has {} numbers", other.len()),
                        ))
                    }
                }
            }
            b"f" | b"l" | b"p" => self.face(at, keyword, words)?,
            b"mtllib" | b"usemtl" => self.materials = true,
            b"vp" | b"curv" | b"curv2" | b"surf" | b"cstype" => self.free_form += 1,
            _ => {}
        }
        Ok(())
    }

    fn finish(self, path: &Path) -> Result<Parsed> {
        let n = self.positions.len();
        let total = n + self.copies.len();
        if u32::try_from(total).is_err() {
            return Err(MeshError::Unsupported {
                path: path.to_path_buf(),
                message: format!(
                    "{total} vertices with the copies that texture seams and hard edges need: \
                     triangle indices are u32, so at most 4294967295"
                ),
            });
        }
        let mut triangles = self.triangles;
        for &corner in &self.fixups {
            triangles[corner / 3][corner % 3] += n as u32;
        }
        let all = || {
            self.pairing
                .iter()
                .enumerate()
                .map(|(v, p)| (v, p.unwrap_or_default()))
                .chain(self.copies.iter().map(|&(v, p)| (v as usize, p)))
        };
        let mut parsed = Parsed {
            positions: all().map(|(v, _)| self.positions[v]).collect(),
            normals: self.any_normal.then(|| {
                all()
                    .map(|(_, (_, vn))| vn.map_or([0.0; 3], |i| self.normals[i as usize]))
                    .collect()
            }),
            uvs: self.any_uv.then(|| {
                all()
                    .map(|(_, (vt, _))| vt.map_or([0.0; 2], |i| self.texcoords[i as usize]))
                    .collect()
            }),
            colors: self
                .any_color
                .then(|| all().map(|(v, _)| self.colors[v]).collect()),
            triangles,
            source_faces: self.polygons,
            corners: total as u64,
            ..Parsed::default()
        };
        if self.points_and_lines > 0 {
            parsed.ignored.push(format!(
                "{} points and lines (p, l, or f with fewer than 3 corners)",
                self.points_and_lines
            ));
        }
        if self.free_form > 0 {
            parsed
                .ignored
                .push(format!("{} free-form geometry statements", self.free_form));
        }
        if self.materials {
            parsed.ignored.push("materials (mtllib, usemtl)".into());
        }
        Ok(parsed)
    }
}

pub(crate) fn parse(path: &Path, bytes: &[u8]) -> Result<Parsed> {
    let mut reader = Reader::default();
    for (n, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let at = At {
            path,
            line: n as u64 + 1,
        };
        reader.line(&at, line)?;
    }
    reader.finish(path)
}
