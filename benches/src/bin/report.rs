//! Reads criterion's medians (target/criterion) and the numpy timings
//! (target/bench-data/numpy.json) of one run and writes BENCHMARKS.md and
//! its plots (benches/plots/*.svg). Run by `scripts/bench.sh`.

use plotters::prelude::*;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// (workload, system, N or label) → median ns.
type Results = BTreeMap<(String, String, String), f64>;

/// Where the hand-written part of BENCHMARKS.md starts; everything from
/// this heading on survives a new report.
const NOTES_HEADING: &str = "## Reading these numbers";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn collect(dir: &Path, out: &mut Results) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.ends_with("new") {
            let (Ok(b), Ok(e)) = (
                std::fs::read_to_string(path.join("benchmark.json")),
                std::fs::read_to_string(path.join("estimates.json")),
            ) else {
                continue;
            };
            let b: serde_json::Value = serde_json::from_str(&b).unwrap();
            let e: serde_json::Value = serde_json::from_str(&e).unwrap();
            let s = |k: &str| b[k].as_str().unwrap_or("").to_string();
            out.insert(
                (s("group_id"), s("function_id"), s("value_str")),
                e["median"]["point_estimate"].as_f64().unwrap(),
            );
        } else if path.is_dir() {
            collect(&path, out);
        }
    }
}

fn time(ns: f64) -> String {
    match ns {
        x if x < 1e3 => format!("{x:.0} ns"),
        x if x < 1e6 => format!("{:.1} µs", x / 1e3),
        x if x < 1e9 => format!("{:.1} ms", x / 1e6),
        x => format!("{:.2} s", x / 1e9),
    }
}

fn n_label(n: &str) -> String {
    match n {
        "1000" => "10^3".into(),
        "100000" => "10^5".into(),
        "1000000" => "10^6".into(),
        "10000000" => "10^7".into(),
        other => other.into(),
    }
}

struct Report {
    r: Results,
    ns: Vec<String>,
    md: String,
}

impl Report {
    fn get(&self, w: &str, s: &str, n: &str) -> Option<f64> {
        self.r.get(&(w.into(), s.into(), n.into())).copied()
    }

    fn systems(&self, w: &str) -> Vec<String> {
        let mut seen: Vec<String> = Vec::new();
        for (ww, s, _) in self.r.keys() {
            if ww == w && !seen.contains(s) {
                seen.push(s.clone());
            }
        }
        // recstore first, then the others by their time at the largest N.
        let last = self.ns.last().cloned().unwrap_or_default();
        seen.sort_by(|a, b| {
            let key = |s: &String| {
                (
                    s != "recstore",
                    self.get(w, s, &last).unwrap_or(f64::MAX) as u64,
                )
            };
            key(a).cmp(&key(b))
        });
        seen
    }

    /// A table of medians, N across, with each system's ratio to recstore.
    fn table(&mut self, w: &str, title: &str, note: &str) {
        let systems = self.systems(w);
        if systems.is_empty() {
            return;
        }
        let _ = writeln!(self.md, "\n### {title}\n\n{note}\n");
        let mut head = "| system |".to_string();
        let mut rule = "| --- |".to_string();
        for n in &self.ns {
            let _ = write!(head, " N = {} |", n_label(n));
            rule.push_str(" ---: |");
        }
        let _ = writeln!(self.md, "{head}\n{rule}");
        for s in systems {
            let mut row = format!("| {s} |");
            for n in &self.ns {
                match (self.get(w, &s, n), self.get(w, "recstore", n)) {
                    (Some(t), Some(r)) if s != "recstore" => {
                        let _ = write!(row, " {} ({:.2}×) |", time(t), t / r);
                    }
                    (Some(t), _) => {
                        let _ = write!(row, " **{}** |", time(t));
                    }
                    _ => row.push_str(" – |"),
                }
            }
            let _ = writeln!(self.md, "{row}");
        }
    }

    fn goal(&mut self, what: &str, value: Option<f64>, goal: &str, met: impl Fn(f64) -> bool) {
        let (v, ok) = match value {
            Some(v) => (
                format!("{v:.2}×"),
                if met(v) { "met" } else { "**missed**" },
            ),
            None => ("not measured".into(), "–"),
        };
        let _ = writeln!(self.md, "| {what} | {v} | {goal} | {ok} |");
    }

    fn ratio(&self, w: &str, a: &str, b: &str, n: &str) -> Option<f64> {
        Some(self.get(w, a, n)? / self.get(w, b, n)?)
    }

    fn plot(
        &self,
        w: &str,
        file: &str,
        title: &str,
        y_label: &str,
        value: impl Fn(f64, f64) -> f64,
    ) {
        let path = root().join("benches/plots").join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let systems = self.systems(w);
        let series: Vec<(String, Vec<(f64, f64)>)> = systems
            .iter()
            .map(|s| {
                let points = self
                    .ns
                    .iter()
                    .filter_map(|n| {
                        let x: f64 = n.parse().ok()?;
                        Some((x, value(x, self.get(w, s, n)?)))
                    })
                    .collect();
                (s.clone(), points)
            })
            .collect();
        let ys = series.iter().flat_map(|(_, p)| p.iter().map(|p| p.1));
        let (lo, hi) = ys.fold((f64::MAX, f64::MIN), |(l, h), y| (l.min(y), h.max(y)));
        let area = SVGBackend::new(&path, (900, 560)).into_drawing_area();
        area.fill(&WHITE).unwrap();
        let mut chart = ChartBuilder::on(&area)
            .caption(title, ("sans-serif", 22))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(80)
            .build_cartesian_2d(
                (5e2f64..2e7f64).log_scale(),
                (lo / 2.0..hi * 2.0).log_scale(),
            )
            .unwrap();
        chart
            .configure_mesh()
            .x_desc("records (N)")
            .y_desc(y_label)
            .x_label_formatter(&|x| format!("{x:.0e}"))
            .y_label_formatter(&|y| format!("{y:.1e}"))
            .draw()
            .unwrap();
        for (i, (name, points)) in series.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            let width = if name == "recstore" { 4 } else { 2 };
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(width)))
                .unwrap()
                .label(name.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(width))
                });
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))
                .unwrap();
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .unwrap();
        area.present().unwrap();
    }
}

fn command(cmd: &str, args: &[&str]) -> String {
    std::process::Command::new(cmd)
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn main() {
    let mut r = Results::new();
    collect(&root().join("target/criterion"), &mut r);
    if let Ok(text) = std::fs::read_to_string(root().join("target/bench-data/numpy.json")) {
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        for (w, per_n) in v.as_object().unwrap() {
            for (n, ns) in per_n.as_object().unwrap() {
                r.insert(
                    (w.clone(), "numpy memmap".into(), n.clone()),
                    ns.as_f64().unwrap(),
                );
            }
        }
    } else {
        eprintln!("no numpy timings: run benches/python/numpy_peer.py (scripts/bench.sh does)");
    }
    let mut ns: Vec<String> = r
        .keys()
        // Only this bench's ids carry N (benches/benches/core.rs has a "scan" group too).
        .filter(|(w, _, n)| w == "scan" && n.parse::<u64>().is_ok())
        .map(|(_, _, n)| n.clone())
        .collect();
    ns.sort_by_key(|n| n.parse::<u64>().unwrap_or(0));
    ns.dedup();
    let cpu = command("sh", &["-c", "lscpu | sed -n 's/^Model name: *//p'"]);
    let kernel = command("uname", &["-sr"]);
    let rustc = command("rustc", &["--version"]);
    let mut rep = Report {
        r,
        ns,
        md: String::new(),
    };
    let _ = writeln!(
        rep.md,
        "# Benchmarks\n\nGenerated by `scripts/bench.sh` (criterion medians and numpy's, all from one run; \
         the report binary `benches/src/bin/report.rs` writes this file and the plots). Machine: {cpu}, 2 cores, \
         {kernel}, {rustc}. Records: the 20-byte colour vertex; every file in the page cache (hot).\n\n\
         Reproduce everything: `scripts/bench.sh` (about 15 minutes). Cells show the median and, in brackets, \
         the time relative to recstore (above 1× means slower than recstore)."
    );
    let big = "1000000";
    rep.md.push_str(
        "\n## Goals (issue 5)\n\n| goal | measured | wanted | |\n| --- | ---: | --- | --- |\n",
    );
    for n in rep.ns.clone() {
        let v = rep.ratio("scan", "Vec", "recstore", &n);
        rep.goal(
            &format!("scan throughput vs `Vec`, N = {}", n_label(&n)),
            v,
            "≥ 0.9×",
            |v| v >= 0.9,
        );
    }
    for n in rep.ns.clone() {
        let v = rep.ratio("random", "recstore", "Vec", &n);
        rep.goal(
            &format!("random-read time vs `Vec`, N = {}", n_label(&n)),
            v,
            "≤ 1.1×",
            |v| v <= 1.1,
        );
    }
    let (first, last) = (
        rep.ns.first().cloned().unwrap_or_default(),
        rep.ns.last().cloned().unwrap_or_default(),
    );
    let flat = rep
        .get("open", "recstore", &last)
        .zip(rep.get("open", "recstore", &first))
        .map(|(a, b)| a / b);
    rep.goal(
        &format!(
            "open time N = {} / N = {} (flat)",
            n_label(&last),
            n_label(&first)
        ),
        flat,
        "≈ 1×",
        |v| v <= 2.0,
    );
    for n in rep.ns.clone() {
        let v = rep.ratio("open", "recstore", "raw mmap", &n);
        rep.goal(
            &format!("open vs hand-written memmap2, N = {}", n_label(&n)),
            v,
            "≤ 2×",
            |v| v <= 2.0,
        );
    }
    let v = rep.ratio("open", "bincode", "recstore", "100000");
    rep.goal(
        "open: bincode load time / recstore's, N = 10^5",
        v,
        "≥ 10×",
        |v| v >= 10.0,
    );
    for (peer, want) in [
        ("bincode", 20.0),
        ("sqlite sum", 50.0),
        ("sqlite rows", 50.0),
        ("heed", 5.0),
        ("rkyv", 1.0),
    ] {
        let v = rep.ratio("open+scan", peer, "recstore", big);
        rep.goal(
            &format!("open + scan, N = 10^6: {peer} time / recstore's"),
            v,
            &format!("≥ {want}×"),
            move |v| v >= want,
        );
    }
    let append = |rep: &Report, a: &str, b: &str| rep.ratio("append", b, a, big);
    let v = append(&rep, "recstore extend_from_slice", "write_all");
    rep.goal(
        "`extend_from_slice` throughput vs one `write_all`",
        v,
        "≥ 0.7×",
        |v| v >= 0.7,
    );
    let v = append(&rep, "recstore push", "write_all");
    rep.goal(
        "`push` one by one vs one `write_all`",
        v,
        "≥ 0.4×",
        |v| v >= 0.4,
    );
    let v = append(
        &rep,
        "recstore durable batches",
        "write_all + fdatasync per batch",
    );
    rep.goal(
        "durable batches of 10^4 vs `write_all` + `fdatasync` each",
        v,
        "≥ 0.7×",
        |v| v >= 0.7,
    );
    for n in ["1000000", "10000000"] {
        let v = rep.ratio("verify", "crc32fast", "recstore", n);
        rep.goal(
            &format!("verify throughput vs crc32fast, N = {}", n_label(n)),
            v,
            "≥ 0.8×",
            |v| v >= 0.8,
        );
    }

    rep.md.push_str("\n## Workloads\n");
    rep.table("open", "Open + read the first record", "For bincode and `fs::read` this is the whole load: they cannot read one record without reading all. SQLite: open + `SELECT r FROM v WHERE id = 0`; heed: open the environment + `get(0)`; rkyv: map + validated `access`.");
    rep.table("scan", "Full scan (sum one field), store already open", "`Vec` is the limit: the records in RAM. rkyv's archive is accessed (validated) once, outside the timing.");
    rep.table(
        "random",
        "10^6 uniformly random reads, store already open",
        "The same indices for every system.",
    );
    rep.table(
        "open+scan",
        "Open + full scan: the loader's job, in-process",
        "",
    );
    let _ = writeln!(rep.md, "\n### The loader as a new process, N = 10^6\n\nWhole-process wall time of `target/release/loader SYSTEM 1000000 scan`; `none` starts and exits.\n\n| system | time |\n| --- | ---: |");
    let process: Vec<(String, f64)> = rep
        .r
        .iter()
        .filter(|((w, _, _), _)| w == "process")
        .map(|((_, s, _), t)| (s.clone(), *t))
        .collect();
    for (s, t) in process {
        let _ = writeln!(rep.md, "| {s} | {} |", time(t));
    }
    let _ = writeln!(rep.md, "\n### Append, N = 10^6 (batches of 10^4)\n\n| system | time | throughput |\n| --- | ---: | ---: |");
    let appends: Vec<(String, f64)> = rep
        .r
        .iter()
        .filter(|((w, _, _), _)| w == "append")
        .map(|((_, s, _), t)| (s.clone(), *t))
        .collect();
    for (s, t) in appends {
        let _ = writeln!(rep.md, "| {s} | {} | {:.0} MB/s |", time(t), 20e6 / t * 1e3);
    }
    rep.table(
        "verify",
        "Verify every checksum",
        "crc32fast over the same record bytes is the limit.",
    );

    let mesh: Vec<(String, String, String, f64)> = rep
        .r
        .iter()
        .filter(|((w, _, _), _)| w == "bunny" || w == "grid" || w == "open + first vertex")
        .map(|((w, s, n), t)| (w.clone(), s.clone(), n.clone(), *t))
        .collect();
    if !mesh.is_empty() {
        let _ = writeln!(rep.md, "\n## Meshes (issue 6)\n\n`cargo bench -p recstore-bench --bench mesh_load`: parsing the source every start vs opening the imported mesh and touching every vertex.\n\n| group | what | size | median |\n| --- | --- | --- | ---: |");
        for (w, s, n, t) in &mesh {
            let _ = writeln!(rep.md, "| {w} | {s} | {n} | {} |", time(*t));
        }
        let find = |w: &str, s: &str| {
            mesh.iter()
                .find(|m| m.0 == w && m.1 == s)
                .map(|m| (m.2.clone(), m.3))
        };
        let _ = writeln!(
            rep.md,
            "\n| goal (issue 6) | measured | wanted | |\n| --- | ---: | --- | --- |"
        );
        // `ok`: None for a figure the issue asks to report, not to meet.
        let mut line = |what: &str, v: Option<f64>, want: &str, ok: Option<bool>| {
            let v = v.map_or("not measured".to_string(), |v| format!("{v:.0}×"));
            let status = match ok {
                Some(true) => "met",
                Some(false) => "**missed**",
                None => "",
            };
            let _ = writeln!(rep.md, "| {what} | {v} | {want} | {status} |");
        };
        let touch = find("bunny", "open + touch all vertices").map(|x| x.1);
        for parser in ["stl_io read_stl", "recstore-mesh parse"] {
            let v = find("bunny", parser).zip(touch).map(|(p, t)| p.1 / t);
            line(
                &format!("bunny: {parser} time / open + touch all vertices"),
                v,
                "≥ 100×",
                Some(v.is_some_and(|v| v >= 100.0)),
            );
        }
        let v = find("grid", "ply-rs-bw parse")
            .zip(find("grid", "open + touch all vertices"))
            .map(|(p, t)| p.1 / t.1);
        line(
            "10^7-vertex grid: ply-rs-bw parse time / open + touch all vertices",
            v,
            "(reported)",
            None,
        );
        let opens: Vec<f64> = mesh
            .iter()
            .filter(|m| m.0 == "open + first vertex")
            .map(|m| m.3)
            .collect();
        if let [a, b] = opens[..] {
            let _ = writeln!(
                rep.md,
                "| open + first vertex, 10^7-vertex grid vs bunny | {:.2}× | flat (≈ 1×) | {} |",
                a.max(b) / a.min(b),
                if a.max(b) / a.min(b) <= 1.5 {
                    "met"
                } else {
                    "**missed**"
                }
            );
        }
        if let Some(t) = mesh
            .iter()
            .find(|m| m.0 == "grid" && m.1 == "import")
            .map(|m| m.3)
        {
            let n: f64 = mesh
                .iter()
                .find(|m| m.0 == "grid" && m.1 == "import")
                .and_then(|m| m.2.trim_start_matches("grid_").parse().ok())
                .unwrap_or(0.0);
            let _ = writeln!(rep.md, "| import throughput, 10^7-vertex grid (parse, check, write, flush) | {:.2} M vertices/s | (reported) | |", n / t * 1e3);
        }
    }

    rep.plot(
        "scan",
        "scan.svg",
        "Full scan throughput (hot), higher is better",
        "GB/s",
        |n, t| n * 20.0 / t,
    );
    rep.plot(
        "open",
        "open.svg",
        "Open + first record, lower is better",
        "time (ns)",
        |_, t| t,
    );
    rep.plot(
        "open+scan",
        "open_scan.svg",
        "Open + full scan, lower is better",
        "time (ns)",
        |_, t| t,
    );
    // The Python package's section, from benches/python/bench_python.py.
    if let Ok(python) = std::fs::read_to_string(root().join("target/bench-data/python.md")) {
        rep.md.push('\n');
        rep.md.push_str(&python);
    }
    // recstore.dask over many stores, from benches/python/bench_dask.py.
    if let Ok(dask) = std::fs::read_to_string(root().join("target/bench-data/dask.md")) {
        rep.md.push('\n');
        rep.md.push_str(&dask);
    }
    rep.md.push_str("\n## Plots\n\n![scan throughput vs N](benches/plots/scan.svg)\n\n![open time vs N](benches/plots/open.svg)\n\n![open + scan time vs N](benches/plots/open_scan.svg)\n");
    // The hand-written part of BENCHMARKS.md, from its first heading on,
    // is kept as it is: only the generated tables above are rewritten.
    if let Ok(old) = std::fs::read_to_string(root().join("BENCHMARKS.md")) {
        if let Some(at) = old.find(NOTES_HEADING) {
            rep.md.push('\n');
            rep.md.push_str(&old[at..]);
        }
    }
    std::fs::write(root().join("BENCHMARKS.md"), &rep.md).unwrap();
    println!("wrote BENCHMARKS.md and benches/plots/*.svg");
}
