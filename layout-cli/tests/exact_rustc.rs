//! `--exact`: rustc's numbers for the `exact` fixture crate on the four CI targets,
//! agreement with the static engine, and the promises around it: the user's files are
//! never written, a missing standard library and a crate that does not compile are
//! clear errors while the rest still reports, and a second run is a cache hit.
//!
//! Every run here starts cargo with the real `layout-cli` binary as its rustc wrapper,
//! on a cache dir of its own.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use layout::Code;
use layout::target::TargetInfo;
use layout_cli::analysis::NumberSource;
use layout_cli::exact::{self, ExactStruct, Failure, Outcome, Request, TargetOutcome};
use layout_cli::render::json::Document;

const TARGETS: [&str; 4] = [
    "x86_64-unknown-linux-gnu",
    "aarch64-unknown-linux-gnu",
    "x86_64-pc-windows-msvc",
    "aarch64-apple-darwin",
];

/// A real triple rustc knows whose standard library is not installed here.
const NOT_INSTALLED: &str = "riscv64gc-unknown-linux-gnu";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exact")
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_layout-cli")
}

fn request(krate: &Path, cache: &Path, targets: &[&str]) -> Request {
    Request {
        manifest_path: Some(krate.join("Cargo.toml")),
        targets: targets.iter().map(|t| t.to_string()).collect(),
        cache_dir: Some(cache.to_path_buf()),
        wrapper: Some(PathBuf::from(bin())),
        ..Default::default()
    }
}

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        if e.file_name() == "target" {
            continue;
        }
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), to).unwrap();
        }
    }
}

/// Every file under `dir` (but `skip`), with its modification time and contents.
fn files(dir: &Path, skip: &Path) -> BTreeMap<PathBuf, (SystemTime, Vec<u8>)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if p.starts_with(skip) {
                continue;
            }
            if e.file_type().unwrap().is_dir() {
                stack.push(p);
            } else {
                let m = e.metadata().unwrap().modified().unwrap();
                out.insert(p.clone(), (m, std::fs::read(&p).unwrap()));
            }
        }
    }
    out
}

fn get<'a>(t: &'a TargetOutcome, name: &str) -> &'a ExactStruct {
    t.structs
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("{name} not compiled on {}", t.target))
}

fn offsets(s: &ExactStruct) -> Vec<(&str, Option<usize>)> {
    s.fields
        .iter()
        .map(|f| (f.name.as_str(), f.offset))
        .collect()
}

/// A one-package workspace `name` under `root` (with its lockfile, so nothing is
/// resolved) whose `src/lib.rs` is `lib`.
fn one_crate(root: &Path, name: &str, lib: &str) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[workspace]\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("Cargo.lock"),
        format!("version = 4\n\n[[package]]\nname = \"{name}\"\nversion = \"0.0.0\"\n"),
    )
    .unwrap();
    std::fs::write(dir.join("src/lib.rs"), lib).unwrap();
    dir
}

fn rows() -> Vec<&'static TargetInfo> {
    TARGETS
        .iter()
        .map(|t| layout::target::find(t).unwrap())
        .collect()
}

#[test]
fn rustc_numbers_for_the_fixture_on_four_targets_agree_with_the_static_engine() {
    let cache = tempfile::tempdir().unwrap();
    let before = files(&fixture(), &fixture().join("target"));
    let o = exact::run(&request(&fixture(), cache.path(), &TARGETS));
    assert!(o.errors.is_empty(), "{:?}", o.errors);
    assert_eq!(o.stats.cargo_runs, 4);
    assert_eq!(
        o.stats.shadow_runs, 4,
        "one shadow run of the lib per target"
    );
    for t in &o.targets {
        assert_eq!(t.error, None, "{}", t.target);
        let windows = t.target.contains("windows");
        // Private fields, reordered by rustc.
        let p = get(t, "Plain");
        assert_eq!((p.size, p.align), (Some(16), Some(8)));
        assert_eq!(
            offsets(p),
            [("a", Some(10)), ("b", Some(0)), ("c", Some(8))]
        );
        // The variant the build script's cfg selects, and not the other one.
        let b = get(t, "FromBuildScript");
        assert_eq!((b.line, b.size, b.align), (23, Some(8), Some(4)));
        assert!(
            t.absent
                .iter()
                .any(|(_, l, n)| *l == 29 && n == "FromBuildScript"),
            "{:?}",
            t.absent
        );
        // Declared inside a macro_rules! invocation.
        let g = get(t, "Generated");
        assert!(g.in_macro);
        assert_eq!(g.size, Some(16));
        assert_eq!(
            offsets(g),
            [("id", Some(8)), ("ok", Some(12)), ("ptr", Some(0))]
        );
        // Private struct in an inline module.
        let h = get(t, "Hidden");
        assert_eq!(h.inline, ["inner"]);
        assert_eq!(
            (h.size, offsets(h)),
            (Some(16), vec![("a", Some(8)), ("b", Some(0))])
        );
        // A size of 0 is a number, not a miss.
        assert_eq!(get(t, "Unit").size, Some(0));
        assert_eq!(offsets(get(t, "Tuple")), [("0", Some(4)), ("1", Some(0))]);
        let w = get(t, "WithLife");
        assert_eq!((w.size, w.fields[0].size), (Some(24), Some(16)));
        // `c_long` is 4 bytes on Windows.
        let c = get(t, "CLong");
        let want = if windows { (8, 4) } else { (16, 8) };
        assert_eq!((c.size, c.fields[0].size), (Some(want.0), Some(want.1)));
        // A file module.
        let a = get(t, "Addr");
        assert!(a.file.ends_with("src/net.rs"));
        assert_eq!(
            (a.size, offsets(a)),
            (
                Some(24),
                vec![("ip", Some(0)), ("port", Some(16)), ("scope", Some(20))]
            )
        );
        assert_eq!(
            t.structs.iter().any(|s| s.name == "OnlyWindows"),
            windows,
            "{}",
            t.target
        );
        // A macro that drops its input: the field type answers, the struct does not.
        assert!(!t.structs.iter().any(|s| s.name == "NeverBuilt"));
        assert_eq!(t.structs.len(), if windows { 11 } else { 10 });
    }

    // The static engine, merged with rustc: every number it has agrees.
    let mut a = layout_cli::analyze(&[fixture()], &rows());
    layout_cli::diag::diagnose(&mut a);
    let static_known: Vec<(String, usize, String, Option<usize>)> = a
        .structs
        .iter()
        .map(|s| (s.target.triple.to_string(), s.line, s.name.clone(), s.size))
        .collect();
    let applied = exact::apply(&mut a, &o);
    assert_eq!(applied.mismatches, 0);
    assert!(applied.replaced >= 30, "{applied:?}");
    let mut compared = 0;
    for (t, line, name, size) in static_known {
        let Some(size) = size else { continue };
        let Some(r) = o
            .targets
            .iter()
            .find(|o| o.target == t)
            .and_then(|o| o.structs.iter().find(|s| s.line == line && s.name == name))
        else {
            continue;
        };
        assert_eq!(r.size, Some(size), "{name} on {t}");
        compared += 1;
    }
    assert!(compared >= 30, "only {compared} static sizes compared");
    assert!(
        a.structs.iter().all(|s| s.source == NumberSource::Rustc),
        "every fixture struct's numbers come from rustc"
    );
    assert!(
        a.structs
            .iter()
            .all(|s| s.diagnostics.iter().all(|d| d.code != Code::ModelMismatch))
    );
    assert_eq!(
        before,
        files(&fixture(), &fixture().join("target")),
        "the fixture was written to"
    );
}

#[test]
fn a_wrong_static_number_is_a_model_mismatch_error() {
    let t = layout::target::find(TARGETS[0]).unwrap();
    let mut a = layout_cli::analyze(&[fixture()], &[t]);
    layout_cli::diag::diagnose(&mut a);
    let plain = a.structs.iter().find(|s| s.name == "Plain").unwrap();
    let rustc = ExactStruct {
        package: "exact-fixture".into(),
        file: plain.file.clone(),
        line: plain.line,
        column: plain.column,
        name: "Plain".into(),
        inline: Vec::new(),
        args: String::new(),
        kind: plain.kind,
        repr_text: "Rust".into(),
        repr: Default::default(),
        in_macro: false,
        size: Some(24),
        align: plain.align,
        fields: Vec::new(),
        fields_known: true,
        unknown: None,
        instance: None,
    };
    let o = Outcome {
        targets: vec![TargetOutcome {
            target: t.triple.into(),
            structs: vec![rustc],
            ..Default::default()
        }],
        ..Default::default()
    };
    let applied = exact::apply(&mut a, &o);
    assert_eq!(applied.mismatches, 1);
    let plain = a.structs.iter().find(|s| s.name == "Plain").unwrap();
    assert_eq!(plain.size, Some(24), "rustc's number wins");
    let m: Vec<_> = plain
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::ModelMismatch)
        .collect();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].severity, layout::Severity::Error);
    assert!(
        m[0].message.contains("16") && m[0].message.contains("24"),
        "{}",
        m[0].message
    );
    assert_eq!(layout_cli::exit::exit_code(&a, layout::Severity::Error), 1);
}

#[test]
fn user_files_and_their_mtimes_are_unchanged_by_report_exact() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("user");
    copy_dir(&fixture(), &dir);
    let before = files(&dir, &dir.join("target"));
    let out = Command::new(bin())
        .args([
            "report",
            "--exact",
            "--format",
            "json",
            "--target",
            "x86_64-linux",
            ".",
        ])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "only warnings (padding-waste): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Document = serde_json::from_slice(&out.stdout).unwrap();
    let gen_ = doc.structs.iter().find(|s| s.name == "Generated").unwrap();
    assert_eq!((gen_.source.as_str(), gen_.size), ("rustc", Some(16)));
    assert!(doc.structs.iter().all(|s| s.source == "rustc"));
    assert_eq!(before, files(&dir, &dir.join("target")));
    // Only the tool's own directories appeared under target/: the results of
    // `--exact` and the cached `rustc --print cfg` answers.
    let mut under: Vec<_> = std::fs::read_dir(dir.join("target"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    under.sort();
    assert_eq!(under, ["layout-cli", "layout-exact"]);
}

#[test]
fn a_missing_standard_library_is_an_error_and_the_other_targets_still_report() {
    let list = Command::new("rustc")
        .args(["--print", "target-list"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&list.stdout)
            .lines()
            .any(|l| l == NOT_INSTALLED),
        "rustc should know {NOT_INSTALLED}"
    );
    let e = exact::check_target(NOT_INSTALLED).unwrap_or_else(|| {
        panic!(
            "this test needs {NOT_INSTALLED} not installed: `rustup target remove {NOT_INSTALLED}`"
        )
    });
    assert_eq!(e.kind, Failure::MissingStd);
    assert!(
        e.message
            .contains(&format!("rustup target add {NOT_INSTALLED}"))
    );
    assert_eq!(
        exact::check_target("sparc-nowhere-none").map(|e| e.kind),
        Some(Failure::UnknownTarget)
    );

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("user");
    copy_dir(&fixture(), &dir);
    let out = Command::new(bin())
        .args([
            "report",
            "--exact",
            "--format",
            "json",
            "--target",
            "x86_64-linux",
        ])
        .args(["--target", NOT_INSTALLED, "."])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let doc: Document = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc.errors.len(), 1, "{:?}", doc.errors);
    assert!(
        doc.errors[0]
            .message
            .contains(&format!("rustup target add {NOT_INSTALLED}"))
    );
    let x86: Vec<_> = doc
        .structs
        .iter()
        .filter(|s| s.target == TARGETS[0])
        .collect();
    assert_eq!(x86.len(), 10);
    assert!(x86.iter().all(|s| s.source == "rustc"));
    assert!(doc.structs.iter().all(|s| s.target == TARGETS[0]));
}

#[test]
fn a_crate_that_does_not_compile_is_an_error_with_rustcs_message_and_static_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = one_crate(
        tmp.path(),
        "broken",
        "pub struct Fine {\n    a: u8,\n    b: u32,\n}\n\npub fn f() -> u8 {\n    \"not a number\"\n}\n",
    );
    let o = exact::run(&request(&dir, &tmp.path().join("cache"), &[TARGETS[0]]));
    let e = o.targets[0].error.as_ref().unwrap();
    assert_eq!(e.kind, Failure::Compile);
    assert!(e.message.contains("mismatched types"), "{}", e.message);
    assert!(
        e.message.contains("`broken` does not compile"),
        "{}",
        e.message
    );
    assert_eq!(e.line, Some(7));
    assert!(o.targets[0].structs.is_empty());
    assert_eq!(o.targets[0].failed_packages, ["broken"]);

    let out = Command::new(bin())
        .args(["report", "--exact", "--format", "json", "."])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let doc: Document = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        doc.errors
            .iter()
            .any(|e| e.message.contains("mismatched types"))
    );
    let fine = doc.structs.iter().find(|s| s.name == "Fine").unwrap();
    assert_eq!((fine.source.as_str(), fine.size), ("static", Some(8)));
    // Text says so too.
    let out = Command::new(bin())
        .args(["report", "--exact", "."])
        .current_dir(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "struct Fine {  // src/lib.rs:1, repr(Rust), on x86_64-linux (static model)\n"
        ),
        "{text}"
    );
    assert!(text.contains("\nnumbers: 0 layouts from rustc "), "{text}");
}

/// `rustc -vV`'s release, as the output names it.
fn rustc_release() -> String {
    let out = Command::new("rustc").arg("-vV").output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("release: "))
        .unwrap()
        .to_string()
}

#[test]
fn text_sarif_and_markdown_name_rustc_as_the_source_of_the_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("user");
    copy_dir(&fixture(), &dir);
    let release = rustc_release();
    let run = |format: &str| {
        let out = Command::new(bin())
            .args([
                "report",
                "--exact",
                "--target",
                "x86_64-linux",
                "--format",
                format,
                ".",
            ])
            .current_dir(&dir)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let text = run("text");
    let headers: Vec<&str> = text.lines().filter(|l| l.starts_with("struct ")).collect();
    assert!(!headers.is_empty(), "{text}");
    let mark = format!(" (rustc {release}, exact)");
    assert!(headers.iter().all(|h| h.ends_with(&mark)), "{text}");
    assert!(
        text.contains(&format!(
            "\nnumbers: {} layouts from rustc {release} (exact), 0 from the static model",
            headers.len()
        )),
        "{text}"
    );
    // A toolchain other than the model's is named.
    assert_eq!(
        text.contains("the static model was checked on rustc 1.95"),
        !release.starts_with("1.95"),
        "{text}"
    );

    let sarif: serde_json::Value = serde_json::from_str(&run("sarif")).unwrap();
    let run0 = &sarif["runs"][0];
    assert_eq!(run0["properties"]["rustc"], release.as_str());
    let results = run0["results"].as_array().unwrap();
    assert!(
        !results.is_empty(),
        "the fixture has padding-waste findings"
    );
    assert!(results.iter().all(|r| r["properties"]["source"] == "rustc"));

    let md = run("markdown");
    assert!(
        md.contains(&format!(
            "Numbers: {} layouts from rustc {release} (exact)",
            headers.len()
        )),
        "{md}"
    );
    let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| ⚠️")).collect();
    assert!(!rows.is_empty(), "{md}");
    assert!(
        rows.iter()
            .all(|r| r.ends_with(&format!(" | rustc {release} |"))),
        "{md}"
    );
}

#[test]
fn a_second_run_on_unchanged_code_is_a_cache_hit_and_a_change_is_not() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("user");
    copy_dir(&fixture(), &dir);
    let req = request(&dir, &tmp.path().join("cache"), &TARGETS[..2]);
    let first = exact::run(&req);
    assert_eq!(
        (
            first.stats.cache_hits,
            first.stats.cargo_runs,
            first.stats.shadow_runs
        ),
        (0, 2, 2)
    );
    assert!(first.stats.probes > 0);
    let second = exact::run(&req);
    assert_eq!(
        (
            second.stats.cache_hits,
            second.stats.cargo_runs,
            second.stats.shadow_runs
        ),
        (2, 0, 0),
        "nothing changed, so no cargo and no rustc"
    );
    assert_eq!(second.stats.probes, 0);
    for (a, b) in first.targets.iter().zip(&second.targets) {
        assert_eq!((&a.structs, &a.absent), (&b.structs, &b.absent));
    }
    assert!(second.targets.iter().all(|t| t.from_cache));

    let lib = dir.join("src/lib.rs");
    let text = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(
        &lib,
        text.replace("    c: u16,\n", "    c: u16,\n    d: u64,\n"),
    )
    .unwrap();
    let third = exact::run(&req);
    assert_eq!((third.stats.cache_hits, third.stats.cargo_runs), (0, 2));
    assert_eq!(get(&third.targets[0], "Plain").size, Some(24));
}

/// Guards the diagnostic text the probes are read from: if a toolchain words it
/// differently, this fails before any report does.
#[test]
fn rustc_prints_probe_answers_in_the_form_the_parser_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("probe.rs");
    std::fs::write(
        &src,
        "pub struct S { a: u8, b: u64 }\npub struct Z;\n\
         const _: () = ([(); ::core::mem::size_of::<S>()], [(); 1]);\n\
         const _: () = ([(); ::core::mem::size_of::<Z>()], [(); 2]);\n\
         const _: () = ([(); ::core::mem::offset_of!(S, a)], [(); 3]);\n\
         const _: () = ([(); ::core::mem::size_of::<Missing>()], [(); 4]);\n",
    )
    .unwrap();
    let out = Command::new("rustc")
        .args([
            "--crate-type",
            "lib",
            "--edition",
            "2021",
            "--error-format=json",
        ])
        .args(["--emit=metadata", "--out-dir"])
        .arg(tmp.path())
        .arg(&src)
        .output()
        .unwrap();
    let diags = exact::probe::parse_diagnostics(&String::from_utf8_lossy(&out.stderr));
    let answers: Vec<(usize, (usize, u32))> = diags
        .iter()
        .filter_map(|d| exact::probe::probe_answer(&d.label).map(|a| (d.line, a)))
        .collect();
    assert_eq!(answers, [(3, (16, 1)), (4, (0, 2)), (5, (8, 3))]);
    let missing = diags.iter().find(|d| d.line == 6).unwrap();
    assert!(missing.message.contains("cannot find type `Missing`"));
}

#[test]
fn verify_passes_when_static_and_rustc_agree_and_counts_what_it_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("user");
    copy_dir(&fixture(), &dir);
    let out = Command::new(bin())
        .args([
            "verify",
            "--target",
            "x86_64-linux",
            "--target",
            "x86_64-pc-windows-msvc",
            ".",
        ])
        .current_dir(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.trim(),
        "verify: 21 layouts from rustc, 0 model mismatch(es), 0 error(s)"
    );
    // A target that cannot be checked fails verify with 2.
    let out = Command::new(bin())
        .args(["verify", "--target", NOT_INSTALLED, "."])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_path_dependency_selected_with_p_gets_rustcs_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    let dep = tmp.path().join("dep");
    std::fs::create_dir_all(ws.join("src")).unwrap();
    std::fs::create_dir_all(dep.join("src")).unwrap();
    std::fs::write(
        ws.join("Cargo.toml"),
        "[package]\nname = \"app\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n\
         [dependencies]\ndep = { path = \"../dep\" }\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(ws.join("src/lib.rs"), "pub use dep::D;\n").unwrap();
    std::fs::write(
        dep.join("Cargo.toml"),
        "[package]\nname = \"dep\"\nversion = \"0.0.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    std::fs::write(
        dep.join("src/lib.rs"),
        "pub struct D {\n    a: u8,\n    b: u32,\n}\nstruct Private(u16, u64);\n",
    )
    .unwrap();
    let lock = Command::new("cargo")
        .args(["generate-lockfile", "--offline"])
        .current_dir(&ws)
        .output()
        .unwrap();
    assert!(lock.status.success());
    let out = Command::new(bin())
        .args(["report", "--exact", "-p", "dep", "--format", "json"])
        .args(["--target", TARGETS[0]])
        .current_dir(&ws)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Document = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<(&str, &str, Option<usize>)> = doc
        .structs
        .iter()
        .map(|s| (s.name.as_str(), s.source.as_str(), s.size))
        .collect();
    assert_eq!(
        got,
        [("D", "rustc", Some(8)), ("Private", "rustc", Some(16))]
    );
}

#[test]
fn a_struct_whose_probe_fails_is_kept_with_static_numbers_not_dropped() {
    let tmp = tempfile::tempdir().unwrap();
    // `u8` (what generic structs are probed with) is no Iterator: the probe fails, and
    // that says nothing about whether G exists.
    let dir = one_crate(
        tmp.path(),
        "bounds",
        "pub struct G<'a, T: Iterator> {\n    a: &'a T,\n    b: u8,\n}\n\npub struct Plain {\n    a: u8,\n    b: u32,\n}\n",
    );
    let out = Command::new(bin())
        .args(["report", "--exact", "--format", "json", "--target"])
        .arg(TARGETS[0])
        .arg(".")
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Document = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<(&str, &str)> = doc
        .structs
        .iter()
        .map(|s| (s.name.as_str(), s.source.as_str()))
        .collect();
    assert_eq!(got, [("G", "static"), ("Plain", "rustc")]);
}

fn instances_fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exact-instances")
}

/// What rustc lays the fixture's instantiations out as on a 64-bit target whose `u128`
/// is 16-aligned (x86_64 and aarch64 Linux since rustc 1.77): `Pair<T> { a: T, b: u8 }`
/// puts `a` first (the larger alignment) and rounds up to `T`'s alignment; `Wrap<T> {
/// head: u8, inner: Pair<T> }` puts `inner` first.
type Expected = (
    &'static str,
    &'static str,
    usize,
    usize,
    Vec<(&'static str, usize)>,
);

/// The fixture's instance entries: (name, source, size, align, field offsets).
fn expected_instances() -> Vec<Expected> {
    vec![
        ("Pair<u64>", "rustc", 16, 8, vec![("a", 0), ("b", 8)]),
        ("Pair<u32>", "rustc", 8, 4, vec![("a", 0), ("b", 4)]),
        ("Pair<i16>", "rustc", 4, 2, vec![("a", 0), ("b", 2)]),
        ("Pair<u128>", "rustc", 32, 16, vec![("a", 0), ("b", 16)]),
        // Implied by the listed `Wrap<u16>`: `Pair<u16>` resolves in `pair`.
        ("Pair<u16>", "rustc", 4, 2, vec![("a", 0), ("b", 2)]),
        // Implied by `Wrap<Local>`: `Pair<Local>` does not resolve in `pair` (`Local`
        // is `user`'s); it is asked through `Wrap<Local>` where that is named.
        ("Pair<Local>", "rustc", 12, 4, vec![("a", 0), ("b", 8)]),
        // Named in the bin, checked against the lib as built (without the shadow
        // copy's helpers): `Pair`'s fields are private there, so no offsets, and the
        // entry keeps the static engine's numbers, which agree.
        ("Pair<i8>", "static", 2, 1, vec![("a", 0), ("b", 1)]),
        ("Wrap<u16>", "rustc", 6, 2, vec![("head", 4), ("inner", 0)]),
        (
            "Wrap<Local>",
            "rustc",
            16,
            4,
            vec![("head", 12), ("inner", 0)],
        ),
    ]
}

#[test]
fn instance_entries_get_rustcs_numbers_where_they_are_named_on_two_targets() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("inst");
    copy_dir(&instances_fixture(), &dir);
    let targets = ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"];
    let mut cmd = Command::new(bin());
    cmd.args(["report", "--exact", "--format", "json"]);
    for t in targets {
        cmd.args(["--target", t]);
    }
    let out = cmd.arg(".").current_dir(&dir).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let entries = doc["structs"].as_array().unwrap();
    for t in targets {
        let here: Vec<&serde_json::Value> = entries
            .iter()
            .filter(|s| s["target"] == t && !s["instance_of"].is_null())
            .collect();
        let names: Vec<&str> = here.iter().map(|s| s["name"].as_str().unwrap()).collect();
        let want = expected_instances();
        assert_eq!(names.len(), want.len(), "{t}: {names:?}");
        for (name, source, size, align, offsets) in want {
            let s = here
                .iter()
                .find(|s| s["name"] == name)
                .unwrap_or_else(|| panic!("{t}: no entry {name}: {names:?}"));
            assert_eq!(s["source"], source, "{t} {name}: {s}");
            assert_eq!(s["size"], size, "{t} {name}: {s}");
            assert_eq!(s["align"], align, "{t} {name}: {s}");
            for (f, off) in offsets {
                let field = s["fields"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|x| x["name"] == f)
                    .unwrap();
                assert_eq!(field["offset"], off, "{t} {name}.{f}: {s}");
                if source == "rustc" {
                    assert!(field["size"].is_u64() && field["align"].is_u64(), "{s}");
                }
            }
            let findings = s["findings"].as_array().map_or(0, |f| {
                f.iter().filter(|x| x["code"] == "model-mismatch").count()
            });
            assert_eq!(findings, 0, "{t} {name}: {s}");
        }
        // Where each is named, as the static report says.
        let at = |name: &str| &here.iter().find(|s| s["name"] == name).unwrap()["named_at"];
        assert_eq!(at("Pair<u64>")["written"], "super::Pair<u64>");
        assert!(
            at("Pair<u64>")["file"]
                .as_str()
                .unwrap()
                .ends_with("user.rs")
        );
        assert_eq!(at("Pair<u32>")["written"], "P<u32>");
        assert_eq!(at("Pair<i16>")["written"], "super::super::Pair<i16>");
        assert_eq!(at("Pair<u128>")["listed"], true);
        assert_eq!(at("Wrap<u16>")["listed"], true);
        assert_eq!(at("Pair<u16>")["via"], "Wrap<u16>");
        assert_eq!(at("Pair<Local>")["via"], "Wrap<Local>");
    }
    // The user's files are untouched by the probes.
    for f in [
        "src/lib.rs",
        "src/main.rs",
        "src/pair.rs",
        "src/user.rs",
        "Cargo.toml",
    ] {
        assert_eq!(
            std::fs::read(dir.join(f)).unwrap(),
            std::fs::read(instances_fixture().join(f)).unwrap(),
            "{f}"
        );
    }

    // Text marks them as rustc's too.
    let out = Command::new(bin())
        .args(["report", "--exact", "--target", targets[0], "."])
        .current_dir(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let release = rustc_release();
    let header = text
        .lines()
        .find(|l| l.starts_with("struct Pair<u64>"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        header.ends_with(&format!(" (rustc {release}, exact)")),
        "{header}"
    );
    let local = text
        .lines()
        .find(|l| l.starts_with("struct Pair<i8>"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(local.ends_with("(static model)"), "{local}");
}

#[test]
fn a_wrong_static_number_of_an_instance_entry_is_a_model_mismatch() {
    let t = layout::target::find(TARGETS[0]).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("inst");
    copy_dir(&instances_fixture(), &dir);
    let mut a = layout_cli::analyze(std::slice::from_ref(&dir), &[t]);
    layout_cli::diag::diagnose(&mut a);
    let mut req = request(&dir, &tmp.path().join("cache"), &TARGETS[..1]);
    req.instantiations = exact::reported_instances(&a);
    assert!(
        req.instantiations.iter().any(|i| i
            .named
            .as_ref()
            .is_some_and(|n| n.written == "super::Pair<u64>")),
        "{:?}",
        req.instantiations
    );
    let o = exact::run(&req);
    assert!(o.errors.is_empty(), "{:?}", o.errors);
    let inst = o.targets[0]
        .structs
        .iter()
        .find(|s| s.name == "Pair<u64>")
        .expect("rustc laid Pair<u64> out");
    assert_eq!((inst.size, inst.align), (Some(16), Some(8)));
    assert_eq!(offsets(inst), [("a", Some(0)), ("b", Some(8))]);
    // The static engine gets Pair<u64> wrong (as a model bug would): size 24, b at 12.
    let p = a
        .structs
        .iter_mut()
        .find(|s| s.name == "Pair<u64>")
        .unwrap();
    p.size = Some(24);
    p.fields[1].offset = Some(12);
    let applied = exact::apply(&mut a, &o);
    assert_eq!(applied.mismatches, 2, "{applied:?}");
    assert!(applied.instances >= 4, "{applied:?}");
    let p = a.structs.iter().find(|s| s.name == "Pair<u64>").unwrap();
    assert_eq!(p.source, NumberSource::Rustc);
    assert_eq!(
        (p.size, p.fields[1].offset),
        (Some(16), Some(8)),
        "rustc wins"
    );
    let m: Vec<&str> = p
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::ModelMismatch)
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(m.len(), 2, "{m:?}");
    assert!(
        m.iter()
            .any(|x| x.contains("size_of::<Pair<u64>>()") && x.contains("24") && x.contains("16")),
        "{m:?}"
    );
    assert!(
        m.iter()
            .any(|x| x.contains("offset of `b`") && x.contains("12")),
        "{m:?}"
    );
    assert_eq!(layout_cli::exit::exit_code(&a, layout::Severity::Error), 1);
    // Another entry the static engine had right gets no finding.
    let ok = a.structs.iter().find(|s| s.name == "Pair<u32>").unwrap();
    assert_eq!(ok.source, NumberSource::Rustc);
    assert!(ok.diagnostics.iter().all(|d| d.code != Code::ModelMismatch));
}
