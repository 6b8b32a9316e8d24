//! Guards the CLI's read path without a memory mapping (issue 15, item 4):
//! `--no-mmap` makes every command that reads a store read it into memory,
//! with the same output as the mapped path, and `info` (text and JSON)
//! says which path was taken.

mod common;

use common::{filled, ok};

#[test]
fn no_mmap_reads_the_same_and_info_says_which_path() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(dir.path());

    let info = ok(&[&"info", &store]).stdout;
    assert!(info.contains("read path:      mapped"), "{info}");
    let info = ok(&[&"info", &store, &"--no-mmap"]).stdout;
    assert!(
        info.contains("read path:      loaded (read into memory, mmap turned off)"),
        "{info}"
    );

    let json = |extra: &[&str]| -> serde_json::Value {
        let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"info", &store, &"--json"];
        args.extend(extra.iter().map(|a| a as &dyn AsRef<std::ffi::OsStr>));
        serde_json::from_str(&ok(&args).stdout).unwrap()
    };
    let (mapped, loaded) = (json(&[]), json(&["--no-mmap"]));
    assert_eq!(mapped["read_path"], "mapped");
    assert_eq!(loaded["read_path"], "loaded");
    assert_eq!(loaded["map_error"], serde_json::Value::Null);
    assert_eq!(loaded["count"], 1000);

    // Every reading command gives the same output either way.
    for cmd in [
        &["dump"][..],
        &["verify"],
        &["inspect", "--range", "0..3"],
        &["export", "-", "--format", "csv"],
    ] {
        let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&cmd[0], &store];
        args.extend(cmd[1..].iter().map(|a| a as &dyn AsRef<std::ffi::OsStr>));
        let by_map = ok(&args).stdout;
        args.insert(0, &"--no-mmap");
        assert_eq!(ok(&args).stdout, by_map, "{cmd:?}");
        assert!(!by_map.is_empty(), "{cmd:?}");
    }
}
