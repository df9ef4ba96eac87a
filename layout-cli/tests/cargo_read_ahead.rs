//! A report records the files it read (`target/layout-cli/read-ahead/`), and the next
//! run with the same flags reads them ahead on a second thread (and parses them on the
//! walk's own thread while cargo metadata runs). The list decides only
//! what is read early: a later run sees the files as they are then (an edited struct, a
//! module added or removed), and its report is the one a run without a list gives.

use std::path::Path;

mod support;
use support::write;

/// (stdout, files read ahead as the timings line says).
fn report(dir: &Path) -> (String, usize) {
    let out = support::report_cmd(dir)
        .env("LAYOUT_CLI_TIMINGS", "1")
        .output()
        .expect("run layout-cli");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    // `timing: ... MB N files read ahead, P of them parsed ahead`
    let ahead = stderr
        .lines()
        .find_map(|l| l.split_once(" files read ahead"))
        .and_then(|(l, _)| l.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no read-ahead timing in {stderr}"));
    (String::from_utf8(out.stdout).unwrap(), ahead)
}

/// The structs of a JSON report as (name, target, size).
fn sizes(json: &str) -> Vec<(String, String, Option<u64>)> {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    let mut out: Vec<_> = v["structs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_owned(),
                s["target"].as_str().unwrap().to_owned(),
                s["size"].as_u64(),
            )
        })
        .collect();
    out.sort();
    out
}

fn without_list(dir: &Path) -> String {
    let _ = std::fs::remove_dir_all(dir.join("target/layout-cli/read-ahead"));
    let (out, ahead) = report(dir);
    assert_eq!(ahead, 0, "no list, nothing read ahead");
    out
}

#[test]
fn the_next_run_reads_ahead_and_sees_the_files_as_they_are() {
    let (_tmp, dir) = support::package(
        "mod a;\n#[cfg(target_os = \"macos\")]\nmod mac;\npub struct Root { pub x: u64, pub a: a::A }\n",
    );
    write(&dir, "src/a.rs", "pub struct A { pub y: u8, pub z: u32 }\n");
    write(&dir, "src/mac.rs", "pub struct OnMac { pub w: u16 }\n");

    let (first, ahead) = report(&dir);
    assert_eq!(ahead, 0, "a first run has no list");
    let lists: Vec<_> = std::fs::read_dir(dir.join("target/layout-cli/read-ahead"))
        .expect("the list is stored in the target directory")
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(lists.len(), 1, "{lists:?}");
    let list = std::fs::read_to_string(&lists[0]).unwrap();
    for f in ["lib.rs", "a.rs", "mac.rs"] {
        assert!(list.contains(f), "{f} listed:\n{list}");
    }

    // The worker races the walk (a file it has not started is read by the walk), so
    // how many it supplies depends on scheduling; in five runs it supplies some.
    let mut supplied = 0;
    for _ in 0..5 {
        let (again, ahead) = report(&dir);
        assert_eq!(again, first, "the same report");
        assert!(ahead <= 3, "{ahead}");
        supplied = supplied.max(ahead);
    }
    assert!(supplied > 0, "nothing was ever read ahead");

    // An edited struct: the read-ahead reads the file as it is now.
    write(
        &dir,
        "src/a.rs",
        "pub struct A { pub y: u8, pub z: u64, pub v: u8 }\n",
    );
    let (edited, _) = report(&dir);
    assert_eq!(edited, without_list(&dir), "as a run without a list");
    let a = sizes(&edited);
    assert!(
        a.contains(&("A".into(), "x86_64-unknown-linux-gnu".into(), Some(16))),
        "{a:?}"
    );

    // The module tree changed: `mac` is gone, `b` is new. Listed files that are no longer
    // reached are not reported; a new one is read by the walk itself.
    let _ = report(&dir); // records the list again
    write(
        &dir,
        "src/lib.rs",
        "mod a;\nmod b;\npub struct Root { pub x: u64, pub b: b::B }\n",
    );
    write(&dir, "src/b.rs", "pub struct B { pub q: u32 }\n");
    let (changed, ahead) = report(&dir);
    assert!(ahead <= 2, "b.rs is not listed: {ahead}");
    let names: Vec<String> = sizes(&changed).into_iter().map(|(n, ..)| n).collect();
    assert!(names.contains(&"B".to_string()), "{names:?}");
    assert!(!names.contains(&"OnMac".to_string()), "{names:?}");
    assert_eq!(changed, without_list(&dir));
}
