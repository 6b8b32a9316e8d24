//! Guards the choice and order of columns (issue 17, item 23): `export
//! --fields` did not exist; `dump --fields` ignored the order given and
//! knew neither a struct prefix (`position` for `position.x`..) nor one
//! element (`color[1]`); a reversed range `5..3` printed nothing; `.CSV`
//! was not recognised; JSON keys came out sorted, not in schema order.

mod common;

use common::*;

fn particles(dir: &std::path::Path) -> std::path::PathBuf {
    let store = dir.join("p.recs");
    ok(&[
        &"create",
        &store,
        &"--schema",
        &root().join("schemas/particle.toml"),
    ]);
    let jsonl = dir.join("p.jsonl");
    std::fs::write(
        &jsonl,
        "{\"position.x\":1,\"position.y\":2,\"position.z\":3,\"velocity.x\":4,\"velocity.y\":5,\
         \"velocity.z\":6,\"color.r\":7,\"color.g\":8,\"color.b\":9,\"color.a\":10,\"mass\":11}\n",
    )
    .unwrap();
    ok(&[&"import", &store, &jsonl]);
    store
}

#[test]
fn fields_keep_the_given_order_with_prefixes_and_elements() {
    let dir = tempfile::tempdir().unwrap();
    let store = particles(dir.path());
    let csv = ok(&[
        &"dump",
        &store,
        &"--format",
        &"csv",
        &"--fields",
        &"mass,position,color.g",
    ])
    .stdout;
    assert_eq!(
        csv,
        "mass,position.x,position.y,position.z,color.g\n11,1,2,3,8\n"
    );
    let json = ok(&[
        &"dump",
        &store,
        &"--format",
        &"jsonl",
        &"--fields",
        &"velocity.z,mass",
    ])
    .stdout;
    assert_eq!(json, "{\"velocity.z\":6,\"mass\":11}\n");
    let table = ok(&[&"dump", &store, &"--fields", &"mass,color"]).stdout;
    let header: Vec<&str> = table.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        ["#", "mass", "color.r", "color.g", "color.b", "color.a"]
    );

    let store = filled(dir.path());
    let csv = ok(&[
        &"dump",
        &store,
        &"--format",
        &"csv",
        &"--range",
        &"0..1",
        &"--fields",
        &"color[1],position",
    ])
    .stdout;
    assert_eq!(
        csv.lines().next().unwrap(),
        "color[1],position[0],position[1],position[2]"
    );
    let json = ok(&[
        &"dump",
        &store,
        &"--format",
        &"json",
        &"--range",
        &"0..1",
        &"--fields",
        &"color[2],position",
    ])
    .stdout;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let keys: Vec<&String> = v[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["color[2]", "position"]);
    assert!(v[0]["position"].is_array());
    let table = ok(&[
        &"dump",
        &store,
        &"--range",
        &"0..1",
        &"--fields",
        &"color[0],color[2]",
    ])
    .stdout;
    let header: Vec<&str> = table.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["#", "color[0]", "color[2]"]);
    // Mistakes are usage errors that name the problem.
    fails(
        2,
        &[&"dump", &store, &"--fields", &"colour"],
        &["no field \"colour\"", "position, color"],
    );
    fails(
        2,
        &[&"dump", &store, &"--fields", &"color[3]"],
        &["past the end of color"],
    );
    fails(
        2,
        &[&"dump", &store, &"--fields", &"color[x]"],
        &["not an element index"],
    );
    fails(
        2,
        &[&"dump", &store, &"--fields", &"color,color[1]"],
        &["color[1] is chosen twice"],
    );
    fails(
        2,
        &[&"dump", &store, &"--fields", &"_pad"],
        &["no field \"_pad\""],
    );
}

#[test]
fn json_keys_follow_the_schema_not_the_alphabet() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(dir.path());
    let line = ok(&[&"dump", &store, &"--format", &"jsonl", &"--range", &"0..1"]).stdout;
    assert!(line.starts_with("{\"position\":"), "{line}");
    let pretty = ok(&[&"dump", &store, &"--format", &"json", &"--range", &"0..1"]).stdout;
    assert!(pretty.find("position").unwrap() < pretty.find("color").unwrap());
    let out = dir.path().join("out.jsonl");
    ok(&[&"export", &store, &out, &"--range", &"0..1"]);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), line);
}

#[test]
fn export_takes_fields_and_an_upper_case_extension() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(dir.path());
    let out = dir.path().join("OUT.CSV");
    ok(&[
        &"export",
        &store,
        &out,
        &"--fields",
        &"color,position[0]",
        &"--range",
        &"0..2",
    ]);
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        text.lines().next().unwrap(),
        "color[0],color[1],color[2],position[0]"
    );
    assert_eq!(text.lines().count(), 3);
    // And back in, through the upper-case name, whole.
    let all = dir.path().join("ALL.CSV");
    ok(&[&"export", &store, &all]);
    let second = dir.path().join("second.recs");
    ok(&[&"create", &second, &"--schema", &schema()]);
    ok(&[&"import", &second, &all]);
    let again = dir.path().join("again.csv");
    ok(&[&"export", &second, &again]);
    assert_eq!(
        std::fs::read(&again).unwrap(),
        std::fs::read(sample()).unwrap()
    );
}

#[test]
fn a_reversed_range_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(dir.path());
    for cmd in ["dump", "inspect"] {
        fails_usage(&[&cmd, &store, &"--range", &"5..3"]);
    }
    let out = dir.path().join("o.csv");
    fails_usage(&[&"export", &store, &out, &"--range", &"5..3"]);
    assert!(!out.exists());
}

/// clap's usage errors are several lines; the first names the problem.
fn fails_usage(args: &Args) {
    let o = run(args);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.contains("\"5..3\" ends before it starts"),
        "{}",
        o.stderr
    );
    assert!(o.stdout.is_empty());
}
