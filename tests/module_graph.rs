//! Guards the library's layering: no two top-level modules of `src/` may
//! depend on each other, directly or through others. A cycle (`options`
//! importing the handles it builds while they import `options`, the engine
//! reaching back into the options builder, a view borrowing helpers from a
//! sibling view) means no module can be read, tested or changed alone.
//!
//! The test reads `src/*.rs` (and `src/<module>/**.rs`, which belong to
//! `<module>`), collects every `crate::X` path outside comments and strings
//! (`use crate::X`, `use crate::{X, Y}`, `crate::X::f()`), resolves names
//! the crate root re-exports (`crate::Error` is `error`) and fails on any
//! cycle, printing it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Graph = BTreeMap<String, BTreeSet<String>>;

/// The source with comments, string and char literals blanked out.
fn code_only(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        let rest = &src[i..];
        if rest.starts_with("//") {
            let end = rest.find('\n').unwrap_or(rest.len());
            i += end;
        } else if rest.starts_with("/*") {
            let mut depth = 0;
            while i < b.len() {
                if src[i..].starts_with("/*") {
                    depth += 1;
                    i += 2;
                } else if src[i..].starts_with("*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if let Some(hashes) = raw_string_start(src, i) {
            // r"..." or r#"..."# (not a raw identifier such as r#type).
            let close = format!("\"{}", "#".repeat(hashes));
            let body = 1 + hashes + 1;
            let end = rest[body..]
                .find(&close)
                .map_or(rest.len(), |e| body + e + close.len());
            i += end;
            out.push_str("\"\"");
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if b[i] == b'\'' {
            // A char literal ('x', '\n', '"'), or a lifetime ('a), kept.
            if b.get(i + 1) == Some(&b'\\') {
                let end = rest[2..].find('\'').map_or(rest.len(), |e| e + 3);
                i += end;
                out.push_str("' '");
            } else if let Some(c) = rest[1..].chars().next() {
                if rest[1 + c.len_utf8()..].starts_with('\'') {
                    i += 2 + c.len_utf8();
                    out.push_str("' '");
                } else {
                    out.push('\'');
                    i += 1;
                }
            } else {
                i += 1;
            }
        } else {
            let c = rest.chars().next().expect("not at the end");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// If a raw string literal starts at `i`, the number of its `#`s.
fn raw_string_start(src: &str, i: usize) -> Option<usize> {
    let rest = src[i..].strip_prefix('r')?;
    if src[..i]
        .chars()
        .next_back()
        .is_some_and(|c| is_ident(c) && c != 'b')
    {
        return None;
    }
    let hashes = rest.chars().take_while(|&c| c == '#').count();
    rest[hashes..].starts_with('"').then_some(hashes)
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The first name of every path that starts with `crate::` (or
/// `$crate::`): `crate::a::b` gives `a`, `crate::{a::b, c}` gives `a`, `c`.
fn crate_heads(code: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut from = 0;
    while let Some(at) = code[from..].find("crate") {
        let start = from + at;
        from = start + "crate".len();
        let before = code[..start].chars().next_back();
        if before.is_some_and(is_ident) {
            continue;
        }
        let rest = code[from..].trim_start();
        let Some(rest) = rest.strip_prefix("::") else {
            continue;
        };
        let rest = rest.trim_start();
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level items of the group: the first name of each.
            let (mut depth, mut item_start) = (0, true);
            let mut chars = group.char_indices().peekable();
            while let Some((j, c)) = chars.next() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && is_ident(c) => {
                        let name: String =
                            group[j..].chars().take_while(|&c| is_ident(c)).collect();
                        for _ in 1..name.chars().count() {
                            chars.next();
                        }
                        heads.push(name);
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            let name: String = rest.chars().take_while(|&c| is_ident(c)).collect();
            if !name.is_empty() {
                heads.push(name);
            }
        }
    }
    heads
}

/// Names the crate root re-exports, by the module they come from:
/// `pub use error::{Error, Result}` maps `Error` and `Result` to `error`.
fn root_reexports(lib: &str, modules: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    for stmt in lib.split(';') {
        let stmt = stmt.trim();
        let Some(path) = stmt
            .rsplit_once("pub use ")
            .map(|(_, p)| p.trim())
            .filter(|_| stmt.contains("pub use "))
        else {
            continue;
        };
        let Some((module, items)) = path.split_once("::") else {
            continue;
        };
        if !modules.contains(module) {
            continue;
        }
        let items = items.trim().trim_start_matches('{').trim_end_matches('}');
        for item in items.split(',') {
            let item = item.trim();
            // `a::B` re-exports `B`; `B as C` re-exports `C`.
            let name = item.rsplit(" as ").next().unwrap_or(item);
            let name = name.rsplit("::").next().unwrap_or(name).trim();
            if !name.is_empty() && name != "*" {
                names.insert(name.to_string(), module.to_string());
            }
        }
    }
    names
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable source directory") {
        let path = entry.expect("readable entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The dependency graph between the top-level modules of `src`.
fn module_graph(src: &Path) -> Graph {
    let mut files: Vec<(String, std::path::PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(src).expect("src/ exists") {
        let path = entry.expect("readable entry").path();
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_string();
        if path.is_dir() {
            let mut inner = Vec::new();
            rust_files(&path, &mut inner);
            files.extend(inner.into_iter().map(|p| (stem.clone(), p)));
        } else if path.extension().is_some_and(|e| e == "rs") && stem != "lib" {
            files.push((stem, path));
        }
    }
    let modules: BTreeSet<String> = files.iter().map(|(m, _)| m.clone()).collect();
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("src/lib.rs");
    let reexports = root_reexports(&code_only(&lib), &modules);
    let mut graph: Graph = modules
        .iter()
        .map(|m| (m.clone(), BTreeSet::new()))
        .collect();
    for (module, file) in &files {
        let code = code_only(&std::fs::read_to_string(file).expect("readable source"));
        for head in crate_heads(&code) {
            let target = if modules.contains(&head) {
                Some(head)
            } else {
                reexports.get(&head).cloned()
            };
            if let Some(target) = target.filter(|t| t != module) {
                graph.get_mut(module).expect("known").insert(target);
            }
        }
    }
    graph
}

/// Each group of modules that depend on each other (a strongly connected
/// component larger than one), as one shortest cycle through its first
/// module (`a -> b -> ... -> a`) and all its members.
fn cycles(graph: &Graph) -> Vec<(Vec<String>, Vec<String>)> {
    // Tarjan's strongly connected components.
    struct State<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        groups: Vec<Vec<&'g str>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g str) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut group = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                group.push(w);
                if w == v {
                    break;
                }
            }
            if group.len() > 1 {
                s.groups.push(group);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        groups: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    // In each group, a shortest cycle through its first module (breadth
    // first, inside the group).
    s.groups
        .iter()
        .map(|group| {
            let members: BTreeSet<&str> = group.iter().copied().collect();
            let start = *members.iter().next().expect("non-empty");
            let mut parent: BTreeMap<&str, &str> = BTreeMap::new();
            let mut queue = std::collections::VecDeque::from([start]);
            let mut last = start;
            'search: while let Some(v) = queue.pop_front() {
                for w in &graph[v] {
                    let w = w.as_str();
                    if w == start {
                        last = v;
                        break 'search;
                    }
                    if members.contains(w) && !parent.contains_key(w) {
                        parent.insert(w, v);
                        queue.push_back(w);
                    }
                }
            }
            let mut path = vec![start.to_string()];
            let mut v = last;
            while v != start {
                path.push(v.to_string());
                v = parent[v];
            }
            path[1..].reverse();
            path.push(start.to_string());
            (path, members.iter().map(|m| m.to_string()).collect())
        })
        .collect()
}

#[test]
fn src_has_no_module_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = module_graph(&src);
    // The reading works: these edges exist in any layering of the crate.
    for (from, to) in [("store", "raw"), ("raw", "engine"), ("engine", "format")] {
        assert!(
            graph.get(from).is_some_and(|t| t.contains(to)),
            "the graph misses {from} -> {to}: the parser is broken\n{graph:#?}"
        );
    }
    let found = cycles(&graph);
    assert!(
        found.is_empty(),
        "module cycles in src/ (each module must only use modules below it):\n{}",
        found
            .iter()
            .map(|(c, group)| format!(
                "  {}    (all of these depend on each other: {})",
                c.join(" -> "),
                group.join(", ")
            ))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_parser_finds_every_form_of_crate_path() {
    let code = code_only(
        r##"
        use crate::a::X;
        use crate::{b::Y, c, d::{e, f}};
        // use crate::commented;
        /* crate::blocked */
        let s = "crate::quoted"; let r = r#"crate::raw"#; let r#type = 1;
        let c = '"'; let l: &'static str = "x";
        fn g() { crate::h::call(); $crate::i::j!(); not_crate::k(); }
        "##,
    );
    assert_eq!(crate_heads(&code), ["a", "b", "c", "d", "h", "i"]);
}

#[test]
fn the_cycle_check_finds_and_prints_cycles() {
    let graph: Graph = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a", "d"]),
        ("d", vec![]),
        ("e", vec!["e2"]),
        ("e2", vec!["e"]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
    .collect();
    let mut found = cycles(&graph);
    found.sort();
    let found: Vec<(Vec<&str>, Vec<&str>)> = found
        .iter()
        .map(|(c, g)| {
            (
                c.iter().map(String::as_str).collect(),
                g.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (vec!["a", "b", "c", "a"], vec!["a", "b", "c"]),
            (vec!["e", "e2", "e"], vec!["e", "e2"])
        ]
    );
    let acyclic: Graph = [("a", vec!["b"]), ("b", vec![])]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
        .collect();
    assert!(cycles(&acyclic).is_empty());
}
