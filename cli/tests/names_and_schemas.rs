//! Guards field names and schema files as the real binary meets them
//! (issue 17): the numpy line of `info` and `info --json` is a Python
//! literal that real numpy runs whatever the names and the path hold
//! (quotes, backslashes, any script); a schema file of binary garbage exits
//! 6 with a line and column; a name the text formats cannot carry is
//! refused at `create`; and such names round-trip through CSV and JSON
//! Lines when they are allowed.

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_recstore");

fn run(args: &[&dyn AsRef<std::ffi::OsStr>]) -> (i32, String, String) {
    let o = Command::new(BIN)
        .args(args.iter().map(|a| a.as_ref()))
        .output()
        .unwrap();
    (
        o.status.code().expect("exited, not killed"),
        String::from_utf8(o.stdout).unwrap(),
        String::from_utf8(o.stderr).unwrap(),
    )
}

fn ok(args: &[&dyn AsRef<std::ffi::OsStr>]) -> String {
    let (code, stdout, stderr) = run(args);
    assert_eq!(code, 0, "stderr: {stderr}");
    stdout
}

const ODD: &str = r#"
name = "Odd 'names'"
fields = [
    { name = "it's", type = "u16" },
    { name = 'back\slash', type = "u8" },
    { name = "température", type = "u8" },
    { name = "温度 #1", type = "f32" },
    { name = "p", type = "P" },
]
[structs.P]
fields = [{ name = "x", type = "f32", endian = "big" }, { name = "emoji 🎉", type = "u32" }]
"#;

/// A store of `ODD` in a directory whose name needs escaping, two records.
fn odd_store(dir: &Path) -> std::path::PathBuf {
    let sub = dir.join("it's a \"dir\" \\ ü");
    std::fs::create_dir(&sub).unwrap();
    let schema = sub.join("odd.toml");
    std::fs::write(&schema, ODD).unwrap();
    let store = sub.join("odd.recs");
    ok(&[&"create", &store, &"--schema", &schema]);
    let input = sub.join("in.jsonl");
    std::fs::write(
        &input,
        "{\"it's\": 7, \"back\\\\slash\": 8, \"température\": 9, \"温度 #1\": 0.5, \"p.x\": 1.5, \"p.emoji 🎉\": 10}\n\
         {\"it's\": 17, \"back\\\\slash\": 18, \"température\": 19, \"温度 #1\": -2, \"p.x\": -1, \"p.emoji 🎉\": 20}\n",
    )
    .unwrap();
    ok(&[&"import", &store, &input]);
    store
}

#[test]
fn the_numpy_line_runs_in_numpy_whatever_the_names() {
    let dir = tempfile::tempdir().unwrap();
    let store = odd_store(dir.path());
    let text = ok(&[&"info", &store]);
    let from_text = text
        .lines()
        .find_map(|l| l.strip_prefix("numpy:"))
        .expect("a numpy line")
        .trim()
        .to_string();
    let json: serde_json::Value = serde_json::from_str(&ok(&[&"info", &store, &"--json"])).unwrap();
    let from_json = json["numpy_memmap"].as_str().unwrap().to_string();
    for memmap in [from_text, from_json] {
        assert!(memmap.is_ascii(), "{memmap}");
        let script = format!(
            "import numpy as np\na = {memmap}\n\
             print(repr(list(a.dtype.names)))\n\
             print(a[\"it's\"].tolist(), a['back\\\\slash'].tolist(), a['temp\\u00e9rature'].tolist(), \
             a['\\u6e29\\u5ea6 #1'].tolist(), a['p.x'].tolist(), a['p.emoji \\U0001f389'].tolist())"
        );
        let o = Command::new("python3")
            .args(["-c", &script])
            .output()
            .expect("python3 with numpy (scripts/setup-python.sh)");
        assert!(
            o.status.success(),
            "{memmap}\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let stdout = String::from_utf8(o.stdout).unwrap();
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(
            lines[0],
            "[\"it's\", 'back\\\\slash', 'température', '温度 #1', 'p.x', 'p.emoji 🎉']"
        );
        assert_eq!(
            lines[1],
            "[7, 17] [8, 18] [9, 19] [0.5, -2.0] [1.5, -1.0] [10, 20]"
        );
    }
}

#[test]
fn odd_but_allowed_names_round_trip_through_csv_and_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let store = odd_store(dir.path());
    let want = ok(&[&"dump", &store, &"--format", &"csv"]);
    assert!(
        want.starts_with("it's,back\\slash,température,温度 #1,p.x,p.emoji 🎉\n"),
        "{want}"
    );
    for format in ["csv", "jsonl"] {
        let out = dir.path().join(format!("out.{format}"));
        ok(&[&"export", &store, &out]);
        let again = dir.path().join(format!("again-{format}.recs"));
        let schema = dir.path().join("odd.toml");
        std::fs::write(&schema, ODD).unwrap();
        ok(&[&"create", &again, &"--schema", &schema]);
        ok(&[&"import", &again, &out]);
        assert_eq!(ok(&[&"dump", &again, &"--format", &"csv"]), want);
    }
}

#[test]
fn bad_schema_files_exit_6_with_a_place() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("x.recs");
    let garbage = dir.path().join("garbage.toml");
    std::fs::write(&garbage, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xd8").unwrap();
    let (code, _, stderr) = run(&[&"create", &store, &"--schema", &garbage]);
    assert_eq!(code, 6, "{stderr}");
    assert!(
        stderr.contains("garbage.toml:1:1:") && stderr.contains("not UTF-8"),
        "{stderr}"
    );
    for (name, rule) in [("a,b", "`,`"), ("a ", "white space")] {
        let schema = dir.path().join("names.toml");
        std::fs::write(
            &schema,
            format!("name = \"N\"\nfields = [\n  {{ name = \"{name}\", type = \"u8\" }},\n]\n"),
        )
        .unwrap();
        let (code, _, stderr) = run(&[&"create", &store, &"--schema", &schema]);
        assert_eq!(code, 6, "{stderr}");
        assert!(
            stderr.contains("names.toml:3:") && stderr.contains(rule),
            "{stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
    assert!(!store.exists());
}
