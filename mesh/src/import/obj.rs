//! Wavefront OBJ through `tobj` (single index per corner, polygons fanned
//! into triangles, negative indices resolved), plus one quick pass of our
//! own over the lines: tobj's errors carry no position and report a bad
//! face index only when the object ends, so the pass finds the line of
//! every bad number and index, counts the source polygons, and lists what
//! is not imported (points, lines, materials).

use super::{malformed, Parsed};
use crate::error::{Location, Result};
use crate::types::SourceFormat;
use std::io::{BufRead, Read};
use std::path::Path;

/// A `BufRead` over bytes that counts the lines handed out, so a tobj error
/// can be placed on the line it was reading.
struct CountingLines<'a> {
    rest: &'a [u8],
    newlines: u64,
}

impl Read for CountingLines<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.rest.len().min(buf.len());
        buf[..n].copy_from_slice(&self.rest[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for CountingLines<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        Ok(self.rest)
    }

    fn consume(&mut self, amt: usize) {
        self.newlines += self.rest[..amt].iter().filter(|&&b| b == b'\n').count() as u64;
        self.rest = &self.rest[amt..];
    }
}

/// What the pass over the lines learns.
#[derive(Default)]
struct Survey {
    polygons: u64,
    points_and_lines: u64,
    free_form: u64,
    materials: bool,
}

/// Resolves an OBJ index (1-based, or negative from the end) against the
/// `count` elements defined so far.
fn resolve(index: i64, count: u64) -> Option<u64> {
    match index {
        1.. if index as u64 <= count => Some(index as u64 - 1),
        ..=-1 if index.unsigned_abs() <= count => Some(count - index.unsigned_abs()),
        _ => None,
    }
}

fn survey(path: &Path, text: &str) -> Result<Survey> {
    let mut s = Survey::default();
    let (mut v, mut vt, mut vn) = (0u64, 0u64, 0u64);
    for (n, line) in text.lines().enumerate() {
        let at = Location::Line(n as u64 + 1);
        let mut words = line.split_ascii_whitespace();
        let fail = |element: &str, message: String| {
            malformed(path, SourceFormat::Obj, element, at.clone(), message)
        };
        match words.next() {
            Some(kind @ ("v" | "vn" | "vt")) => {
                let (element, needed) = match kind {
                    "v" => (format!("vertex {v}"), 3),
                    "vn" => (format!("normal {vn}"), 3),
                    _ => (format!("texture coordinate {vt}"), 1),
                };
                let mut numbers = 0;
                for word in words {
                    match word.parse::<f32>() {
                        Ok(x) if x.is_finite() => numbers += 1,
                        _ => {
                            return Err(fail(
                                &element,
                                format!("\"{word}\" is not a finite number"),
                            ))
                        }
                    }
                }
                if numbers < needed {
                    return Err(fail(
                        &element,
                        format!("needs at least {needed} numbers, has {numbers}"),
                    ));
                }
                match kind {
                    "v" => v += 1,
                    "vn" => vn += 1,
                    _ => vt += 1,
                }
            }
            Some(kind @ ("f" | "l" | "p")) => {
                let element = format!("face {}", s.polygons + s.points_and_lines);
                let mut corners = 0;
                for corner in words {
                    corners += 1;
                    for (k, (part, count, name)) in corner
                        .split('/')
                        .zip([(v, "vertex"), (vt, "texture coordinate"), (vn, "normal")])
                        .map(|(p, (c, n))| (p, c, n))
                        .enumerate()
                    {
                        if part.is_empty() && k > 0 {
                            continue;
                        }
                        let index: i64 = part.parse().map_err(|_| {
                            fail(
                                &element,
                                format!("\"{corner}\" is not an index (v, v/vt, v//vn or v/vt/vn)"),
                            )
                        })?;
                        if resolve(index, count).is_none() {
                            return Err(fail(
                                &element,
                                format!(
                                    "{name} index {index} is out of range: {count} {name}s are defined above this line"
                                ),
                            ));
                        }
                    }
                }
                if kind == "f" && corners >= 3 {
                    s.polygons += 1;
                } else {
                    s.points_and_lines += 1;
                }
            }
            Some("mtllib" | "usemtl") => s.materials = true,
            Some("vp" | "curv" | "curv2" | "surf" | "cstype") => s.free_form += 1,
            _ => {}
        }
    }
    Ok(s)
}

pub(crate) fn parse(path: &Path, bytes: &[u8]) -> Result<Parsed> {
    let text = super::text(path, SourceFormat::Obj, bytes)?;
    let survey = survey(path, text)?;
    let mut lines = CountingLines {
        rest: bytes,
        newlines: 0,
    };
    let (models, _materials) = tobj::load_obj_buf(&mut lines, &tobj::GPU_LOAD_OPTIONS, |_| {
        Err(tobj::LoadError::OpenFileFailed)
    })
    .map_err(|e| {
        malformed(
            path,
            SourceFormat::Obj,
            "line",
            Location::Line(lines.newlines.max(1)),
            e.to_string(),
        )
    })?;
    let mut parsed = Parsed::default();
    let any = |f: fn(&tobj::Mesh) -> bool| models.iter().any(|m| f(&m.mesh));
    let (has_normal, has_uv, has_color) = (
        any(|m| !m.normals.is_empty()),
        any(|m| !m.texcoords.is_empty()),
        any(|m| !m.vertex_color.is_empty()),
    );
    for model in &models {
        let mesh = &model.mesh;
        let base = parsed.positions.len() as u64;
        let n = mesh.positions.len() / 3;
        parsed
            .positions
            .extend(mesh.positions.chunks_exact(3).map(|p| [p[0], p[1], p[2]]));
        let normals = parsed.normals.get_or_insert_with(Vec::new);
        if mesh.normals.len() == 3 * n {
            normals.extend(mesh.normals.chunks_exact(3).map(|p| [p[0], p[1], p[2]]));
        } else {
            normals.extend(std::iter::repeat_n([0.0; 3], n));
        }
        let uvs = parsed.uvs.get_or_insert_with(Vec::new);
        if mesh.texcoords.len() == 2 * n {
            uvs.extend(mesh.texcoords.chunks_exact(2).map(|p| [p[0], p[1]]));
        } else {
            uvs.extend(std::iter::repeat_n([0.0; 2], n));
        }
        let colors = parsed.colors.get_or_insert_with(Vec::new);
        if mesh.vertex_color.len() == 3 * n {
            colors.extend(mesh.vertex_color.chunks_exact(3).map(|c| {
                [c[0], c[1], c[2]]
                    .map(|x| (f64::from(x) * 65535.0).round().clamp(0.0, 65535.0) as u16)
            }));
        } else {
            colors.extend(std::iter::repeat_n([u16::MAX; 3], n));
        }
        for t in mesh.indices.chunks_exact(3) {
            let tri =
                [t[0], t[1], t[2]].map(|i| (base + u64::from(i)).min(u64::from(u32::MAX)) as u32);
            parsed.triangles.push(tri);
        }
    }
    if !has_normal {
        parsed.normals = None;
    }
    if !has_uv {
        parsed.uvs = None;
    }
    if !has_color {
        parsed.colors = None;
    }
    parsed.source_faces = survey.polygons;
    parsed.corners = parsed.positions.len() as u64;
    if survey.points_and_lines > 0 {
        parsed.ignored.push(format!(
            "{} points and lines (p, l, or f with fewer than 3 corners)",
            survey.points_and_lines
        ));
    }
    if survey.free_form > 0 {
        parsed.ignored.push(format!(
            "{} free-form geometry statements",
            survey.free_form
        ));
    }
    if survey.materials {
        parsed.ignored.push("materials (mtllib, usemtl)".into());
    }
    Ok(parsed)
}
