//! Guards against the tool destroying data it was only asked to read or
//! to show (issue 17, items 1 and 2): `export` onto the store itself
//! (directly, through a symlink or a hard link) truncated the store and
//! died of SIGBUS; an existing output was clobbered silently; a failed
//! export left a partial file; `demo DIR` overwrote the user's files and
//! deleted a `DIR/demo.recs` it had not made.

mod common;

use common::*;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

#[test]
fn export_onto_the_store_itself_is_refused_and_the_store_survives() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(dir.path());
    let before = std::fs::read(&store).unwrap();
    let link = dir.path().join("out.csv");
    std::os::unix::fs::symlink(&store, &link).unwrap();
    let hard = dir.path().join("hard.csv");
    std::fs::hard_link(&store, &hard).unwrap();
    for target in [&store, &link, &hard] {
        for force in [false, true] {
            let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> =
                vec![&"export", &store, target, &"--format", &"csv"];
            if force {
                args.push(&"--force");
            }
            fails(2, &args, &["is the store being exported", "another output"]);
            assert_eq!(std::fs::read(&store).unwrap(), before);
        }
    }
    ok(&[&"verify", &store]);
}

#[test]
fn an_existing_output_is_replaced_only_with_force_and_keeps_its_mode() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(dir.path());
    let out = dir.path().join("mine.csv");
    std::fs::write(&out, "precious\n").unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o640)).unwrap();
    fails(
        1,
        &[&"export", &store, &out],
        &["already exists", "--force"],
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "precious\n");
    ok(&[&"export", &store, &out, &"--force"]);
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(sample()).unwrap()
    );
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    // Through a symlink, --force replaces the file it points at, not the link.
    let real = dir.path().join("real.csv");
    std::fs::write(&real, "old\n").unwrap();
    let link = dir.path().join("link.csv");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    fails(1, &[&"export", &store, &link], &["already exists"]);
    ok(&[&"export", &store, &link, &"--force"]);
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        std::fs::read(&real).unwrap(),
        std::fs::read(sample()).unwrap()
    );
    // Nothing left beside them.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");
}

/// Runs `export` with a file-size limit of a few KiB, as a full disk would
/// stop it (SIGXFSZ ignored, so the write fails with EFBIG).
fn export_with_size_limit(args: &str) -> std::process::Output {
    Command::new("bash")
        .arg("-c")
        .arg(format!("trap '' XFSZ; ulimit -f 8; exec \"$0\" {args}"))
        .arg(BIN)
        .output()
        .unwrap()
}

#[test]
fn a_failed_export_leaves_no_partial_file_and_the_old_one_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let store = zeros(dir.path(), 20_000);
    let new = dir.path().join("new.csv");
    let o = export_with_size_limit(&format!("export {} {}", store.display(), new.display()));
    assert_eq!(o.status.code(), Some(3), "{o:?}");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("cannot write"), "{stderr}");
    assert!(!new.exists(), "a partial export was left behind");
    let old = dir.path().join("old.csv");
    std::fs::write(&old, "kept\n").unwrap();
    let o = export_with_size_limit(&format!(
        "export {} {} --force",
        store.display(),
        old.display()
    ));
    assert_eq!(o.status.code(), Some(3), "{o:?}");
    assert_eq!(std::fs::read_to_string(&old).unwrap(), "kept\n");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 2, "only the store and old.csv: {left:?}");
}

#[test]
fn demo_never_overwrites_or_deletes_what_it_did_not_create() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["colored_vertex.csv", "colored_vertex.toml", "demo.recs"] {
        let d = dir.path().join(name.replace('.', "_"));
        std::fs::create_dir(&d).unwrap();
        std::fs::write(d.join(name), "the user's own file\n").unwrap();
        fails(
            1,
            &[&"demo", &d],
            &["already exists", "writes only new files"],
        );
        fails(1, &[&"demo", &"--keep", &d], &["already exists"]);
        let names: Vec<_> = std::fs::read_dir(&d).unwrap().collect();
        assert_eq!(names.len(), 1, "the demo wrote nothing: {names:?}");
        assert_eq!(
            std::fs::read_to_string(d.join(name)).unwrap(),
            "the user's own file\n"
        );
    }
}

#[test]
fn demo_keep_leaves_its_files_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let keep = dir.path().join("explore");
    let out = ok(&[&"demo", &"--keep", &keep]).stdout;
    assert!(out.contains("kept in"), "{out}");
    assert!(out.contains(&keep.display().to_string()), "{out}");
    for name in ["colored_vertex.csv", "colored_vertex.toml", "demo.recs"] {
        assert!(keep.join(name).is_file(), "{name}");
    }
    ok(&[&"verify", &keep.join("demo.recs")]);
    // Without --keep it leaves nothing and says nothing of keeping.
    let out = ok(&[&"demo"]).stdout;
    assert!(!out.contains("kept in"), "{out}");
}

#[test]
fn stdout_appending_to_the_store_is_refused_and_errors_name_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(dir.path());
    let before = std::fs::read(&store).unwrap();
    // `export s.recs - >> s.recs`
    let o = Command::new(BIN)
        .arg("export")
        .arg(&store)
        .args(["-", "--format", "csv"])
        .stdout(
            std::fs::OpenOptions::new()
                .append(true)
                .open(&store)
                .unwrap(),
        )
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("stdout is the store being exported"));
    assert_eq!(std::fs::read(&store).unwrap(), before);
    // An output in a missing directory: the message names it, not a temporary file.
    let err = fails(
        3,
        &[&"export", &store, &dir.path().join("no/such/dir/x.csv")],
        &["cannot create", "no/such/dir/x.csv", "No such file"],
    );
    assert!(
        !err.contains("at path") && !err.contains(".x.csv."),
        "{err}"
    );
}
