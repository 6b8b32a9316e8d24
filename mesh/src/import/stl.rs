//! STL, binary and ascii, parsed here rather than with `stl_io`: this
//! parser names the line or byte offset of every error, checks a binary
//! file's triangle count against its size (stl_io reads until the count is
//! met and ignores any rest), tells binary from ascii by that size rather
//! than by the word "solid" (which some binary writers put in the header),
//! and checks the `endsolid` name. The tests compare its output with
//! stl_io's on every real file.
//!
//! Welding rule: two corners become one vertex exactly when their three
//! coordinates are bit-for-bit equal after mapping -0.0 to +0.0. No
//! tolerance is applied, so no two distinct source points are ever merged.

use super::{malformed, Parsed};
use crate::error::{Location, Result};
use crate::types::SourceFormat;
use rustc_hash::FxHashMap;
use std::path::Path;

const HEADER: usize = 84;
const FACET: usize = 50;

/// One facet as the source gives it: normal and three corners.
type Facet = ([f32; 3], [[f32; 3]; 3]);

pub(crate) fn parse(path: &Path, bytes: &[u8]) -> Result<Parsed> {
    let mut warnings = Vec::new();
    let mut ignored = Vec::new();
    let facets = if looks_ascii(bytes) {
        parse_ascii(path, bytes, &mut warnings)?
    } else {
        if bytes.starts_with(b"solid") {
            warnings.push(
                "binary STL whose 80-byte header starts with \"solid\", which marks ascii STL; \
                 some readers will misread it"
                    .to_string(),
            );
        }
        parse_binary(path, bytes, &mut ignored)?
    };
    Ok(weld(facets, warnings, ignored))
}

/// An ascii STL starts with "solid" and is text. Some binary writers start
/// their 80-byte header with "solid" too, so, as robust readers do, a file
/// starting with "solid" is read as binary when
/// - it has exactly the size its triangle count gives and its first bytes
///   are not all printable ASCII, or
/// - its first bytes hold a control byte (the triangle count's high byte is
///   0 in every binary STL of fewer than 16 M triangles, and so are the
///   bytes of many floats), or bytes past the header that are not UTF-8.
///
/// A cut-short binary STL is so reported as a binary STL of the wrong size,
/// while an ascii STL with a Latin-1 solid name stays ascii (and is
/// refused as not UTF-8, on its line).
fn looks_ascii(bytes: &[u8]) -> bool {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
    let Some(start) = start else { return false };
    if !bytes[start..].starts_with(b"solid") {
        return false;
    }
    let probe = &bytes[..bytes.len().min(1024)];
    if let Some(count) = binary_count(bytes) {
        if (count as usize)
            .checked_mul(FACET)
            .and_then(|n| n.checked_add(HEADER))
            == Some(bytes.len())
        {
            // Sized exactly as a binary STL: ascii only if it reads as text.
            return probe
                .iter()
                .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace());
        }
    }
    let control = probe
        .iter()
        .any(|&b| b.is_ascii_control() && !b.is_ascii_whitespace());
    let not_utf8 = probe.get(80..).is_some_and(|rest| {
        // An error with no length is a character cut by the probe's end.
        std::str::from_utf8(rest).is_err_and(|e| e.error_len().is_some())
    });
    !(control || not_utf8)
}

fn binary_count(bytes: &[u8]) -> Option<u32> {
    let count: [u8; 4] = bytes.get(80..84)?.try_into().ok()?;
    Some(u32::from_le_bytes(count))
}

fn parse_binary(path: &Path, bytes: &[u8], ignored: &mut Vec<String>) -> Result<Vec<Facet>> {
    let fail = |element: String, at: usize, message: String| {
        malformed(
            path,
            SourceFormat::Stl,
            element,
            Location::Offset(at as u64),
            message,
        )
    };
    if bytes.is_empty() {
        return Err(fail("header".into(), 0, "the file is empty".into()));
    }
    let Some(count) = binary_count(bytes) else {
        return Err(fail(
            "header".into(),
            bytes.len(),
            format!(
                "the file is {} bytes, but a binary STL needs an 80-byte header and a 4-byte \
                 triangle count (and an ascii STL starts with \"solid\")",
                bytes.len()
            ),
        ));
    };
    let expected = (count as u64) * FACET as u64 + HEADER as u64;
    if expected != bytes.len() as u64 {
        let solid = if bytes.starts_with(b"solid") {
            " (read as binary: the header starts with \"solid\", but the file is not text)"
        } else {
            ""
        };
        return Err(fail(
            "triangle count".into(),
            80,
            format!(
                "the header says {count} triangles, which take {expected} bytes, but the file \
                 is {} bytes ({} whole triangles){solid}",
                bytes.len(),
                (bytes.len().saturating_sub(HEADER)) / FACET
            ),
        ));
    }
    let mut facets = Vec::with_capacity(count as usize);
    let mut attributes = 0u64;
    for (i, record) in bytes[HEADER..].chunks_exact(FACET).enumerate() {
        let f = |k: usize| {
            let at = 4 * k;
            f32::from_le_bytes([record[at], record[at + 1], record[at + 2], record[at + 3]])
        };
        let normal = [f(0), f(1), f(2)];
        let corners = [[f(3), f(4), f(5)], [f(6), f(7), f(8)], [f(9), f(10), f(11)]];
        if let Some(k) = (0..12).find(|&k| !f(k).is_finite()) {
            let what = if k < 3 { "normal" } else { "vertex" };
            return Err(fail(
                format!("facet {i}"),
                HEADER + i * FACET + 4 * k,
                format!("{what} coordinate {} is not a finite number", f(k)),
            ));
        }
        if record[48] != 0 || record[49] != 0 {
            attributes += 1;
        }
        facets.push((normal, corners));
    }
    if attributes > 0 {
        ignored.push(format!(
            "facet attribute bytes (non-zero in {attributes} facets; some writers keep a colour there)"
        ));
    }
    Ok(facets)
}

/// Whitespace-separated words with the 1-based line each is on.
struct Words<'a> {
    words: Vec<(u64, &'a str)>,
    next: usize,
    last_line: u64,
}

impl<'a> Words<'a> {
    fn new(text: &'a str) -> Words<'a> {
        let mut words = Vec::new();
        let mut last_line = 1;
        for (n, line) in text.lines().enumerate() {
            last_line = n as u64 + 1;
            words.extend(line.split_ascii_whitespace().map(|w| (last_line, w)));
        }
        Words {
            words,
            next: 0,
            last_line,
        }
    }

    fn peek(&self) -> Option<(u64, &'a str)> {
        self.words.get(self.next).copied()
    }

    fn line(&self) -> u64 {
        self.peek().map_or(self.last_line, |(line, _)| line)
    }

    fn take(&mut self) -> Option<(u64, &'a str)> {
        let word = self.peek()?;
        self.next += 1;
        Some(word)
    }

    /// The rest of the line the last taken word was on.
    fn rest_of_line(&mut self, line: u64) -> Vec<&'a str> {
        let mut rest = Vec::new();
        while let Some((_, w)) = self.peek().filter(|(l, _)| *l == line) {
            rest.push(w);
            self.next += 1;
        }
        rest
    }
}

fn parse_ascii(path: &Path, bytes: &[u8], warnings: &mut Vec<String>) -> Result<Vec<Facet>> {
    let text = super::text(path, SourceFormat::Stl, bytes)?;
    let mut words = Words::new(text);
    let mut facets = Vec::new();
    let fail = |element: &str, line: u64, message: String| {
        malformed(
            path,
            SourceFormat::Stl,
            element,
            Location::Line(line),
            message,
        )
    };
    let expect = |words: &mut Words, element: &str, word: &str| -> Result<()> {
        match words.take() {
            Some((_, w)) if w == word => Ok(()),
            Some((line, w)) => Err(fail(
                element,
                line,
                format!("expected \"{word}\", found \"{w}\""),
            )),
            None => Err(fail(
                element,
                words.line(),
                format!("the file ends where \"{word}\" should follow"),
            )),
        }
    };
    let number = |words: &mut Words, element: &str, what: &str| -> Result<f32> {
        match words.take() {
            Some((line, w)) => match w.parse::<f32>() {
                Ok(v) if v.is_finite() => Ok(v),
                Ok(_) => Err(fail(
                    element,
                    line,
                    format!("{what} \"{w}\" is not a finite number"),
                )),
                Err(_) => Err(fail(
                    element,
                    line,
                    format!("expected a number for {what}, found \"{w}\""),
                )),
            },
            None => Err(fail(
                element,
                words.line(),
                format!("the file ends where {what} should follow"),
            )),
        }
    };
    while words.peek().is_some() {
        let (line, _) = words.peek().expect("checked");
        expect(&mut words, "solid", "solid")?;
        let name = words.rest_of_line(line).join(" ");
        loop {
            let element = format!("facet {}", facets.len());
            match words.peek() {
                Some((_, "endsolid")) => {
                    let (line, _) = words.take().expect("peeked");
                    let end_name = words.rest_of_line(line).join(" ");
                    if !end_name.is_empty() && end_name != name {
                        warnings.push(format!(
                            "line {line}: \"endsolid {end_name}\" closes \"solid {name}\""
                        ));
                    }
                    break;
                }
                Some((_, "facet")) => {
                    words.take();
                    expect(&mut words, &element, "normal")?;
                    let mut normal = [0.0; 3];
                    for (axis, c) in normal.iter_mut().enumerate() {
                        *c = number(&mut words, &element, &format!("normal coordinate {axis}"))?;
                    }
                    expect(&mut words, &element, "outer")?;
                    expect(&mut words, &element, "loop")?;
                    let mut corners = [[0.0; 3]; 3];
                    for (k, corner) in corners.iter_mut().enumerate() {
                        match words.peek() {
                            Some((_, "vertex")) => {
                                words.take();
                            }
                            Some((line, w)) => {
                                return Err(fail(
                                    &element,
                                    line,
                                    format!(
                                        "a facet needs three vertices; found \"{w}\" after {k}"
                                    ),
                                ))
                            }
                            None => expect(&mut words, &element, "vertex")?,
                        }
                        for (axis, c) in corner.iter_mut().enumerate() {
                            *c =
                                number(&mut words, &element, &format!("vertex coordinate {axis}"))?;
                        }
                    }
                    if let Some((line, "vertex")) = words.peek() {
                        return Err(fail(
                            &element,
                            line,
                            "a facet has exactly three vertices; this one has more (triangulate \
                             polygons before writing STL)"
                                .into(),
                        ));
                    }
                    expect(&mut words, &element, "endloop")?;
                    expect(&mut words, &element, "endfacet")?;
                    facets.push((normal, corners));
                }
                Some((line, w)) => {
                    return Err(fail(
                        &element,
                        line,
                        format!("expected \"facet\" or \"endsolid\", found \"{w}\""),
                    ))
                }
                None => {
                    return Err(fail(
                        "solid",
                        words.line(),
                        format!(
                        "the file ends before \"endsolid\" closes \"solid {name}\" (truncated?)"
                    ),
                    ))
                }
            }
        }
    }
    if facets.is_empty() && words.words.is_empty() {
        return Err(fail("solid", 1, "the file is empty".into()));
    }
    Ok(facets)
}

/// The welding key: the bit patterns, with -0.0 counted as +0.0.
fn key(p: [f32; 3]) -> [u32; 3] {
    p.map(|c| if c == 0.0 { 0 } else { c.to_bits() })
}

fn sub(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn cross(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn dot(a: [f32; 3], b: [f32; 3]) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn weld(facets: Vec<Facet>, mut warnings: Vec<String>, ignored: Vec<String>) -> Parsed {
    let mut index: FxHashMap<[u32; 3], u32> = FxHashMap::default();
    index.reserve(facets.len() / 2 + 3);
    let mut positions = Vec::with_capacity(facets.len() / 2 + 3);
    let mut triangles = Vec::with_capacity(facets.len());
    let mut face_normals = Vec::with_capacity(facets.len());
    let (mut zero_normals, mut wrong_normals, mut degenerate) = (0u64, 0u64, 0u64);
    let mut first_wrong = None;
    for (i, (normal, corners)) in facets.iter().enumerate() {
        let tri = corners.map(|p| {
            *index.entry(key(p)).or_insert_with(|| {
                positions.push(p);
                (positions.len() - 1) as u32
            })
        });
        triangles.push(tri);
        face_normals.push(*normal);
        let winding = cross(sub(corners[1], corners[0]), sub(corners[2], corners[0]));
        let (wlen, nlen) = (dot(winding, winding).sqrt(), dot(*normal, *normal).sqrt());
        if wlen == 0.0 {
            degenerate += 1;
        } else if nlen == 0.0 {
            zero_normals += 1;
        } else if dot(winding, *normal) / (wlen * nlen) < 0.9 {
            wrong_normals += 1;
            first_wrong.get_or_insert(i);
        }
    }
    if zero_normals > 0 {
        warnings.push(format!("{zero_normals} facets have a zero normal"));
    }
    if let Some(first) = first_wrong {
        warnings.push(format!(
            "{wrong_normals} facet normals disagree with their vertex order by more than 25 \
             degrees (first: facet {first})"
        ));
    }
    if degenerate > 0 {
        warnings.push(format!("{degenerate} facets have zero area"));
    }
    let open = open_edges(&triangles);
    if open > 0 {
        warnings.push(format!(
            "the surface is not closed: {open} edges lack a facet on their other side"
        ));
    }
    Parsed {
        corners: facets.len() as u64 * 3,
        source_faces: facets.len() as u64,
        positions,
        triangles,
        face_normals: Some(face_normals),
        warnings,
        ignored,
        ..Parsed::default()
    }
}

/// Directed edges with no opposite edge: zero for a closed, consistently
/// oriented surface.
fn open_edges(triangles: &[[u32; 3]]) -> u64 {
    let mut edges: FxHashMap<(u32, u32), i64> = FxHashMap::default();
    for t in triangles {
        for k in 0..3 {
            let (a, b) = (t[k], t[(k + 1) % 3]);
            if a == b {
                continue;
            }
            // +1 for a→b, -1 for b→a: paired edges cancel.
            let (key, d) = if a < b { ((a, b), 1) } else { ((b, a), -1) };
            *edges.entry(key).or_default() += d;
        }
    }
    edges.values().map(|v| v.unsigned_abs()).sum()
}
