//! `layout-cli fix` keeps each file's identity: a symlink is written through to its
//! target, a hard-linked or read-only (by mode) file is left alone with a note, the
//! owner, group and mode of a rewritten file are kept, and one file that is refused
//! keeps none of the others from being fixed. Every input is generated in a temp dir
//! and the binary is run on it.
#![cfg(unix)]

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

/// A repr(C) struct `fix` reorders (24 -> 16 bytes on x86_64).
fn unordered(name: &str) -> String {
    format!(
        "#[derive(CacheLayout)]\n#[repr(C)]\npub struct {name} {{\n    a: u8,\n    b: u64,\n    c: u8,\n}}\n"
    )
}

fn ordered(name: &str) -> String {
    format!(
        "#[derive(CacheLayout)]\n#[repr(C)]\npub struct {name} {{\n    a: u8,\n    c: u8,\n    b: u64,\n}}\n"
    )
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn fix_in(dir: &Path, args: &[&str], uid: Option<u32>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_layout-cli"));
    cmd.arg("fix")
        .args(["--target", "x86_64-linux"])
        .args(args)
        .current_dir(dir);
    if let Some(uid) = uid {
        cmd.gid(uid).uid(uid);
    }
    let out = cmd.output().expect("run layout-cli");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn fix(dir: &Path, args: &[&str]) -> Run {
    fix_in(dir, args, None)
}

fn read(p: impl AsRef<Path>) -> String {
    std::fs::read_to_string(p).unwrap()
}

fn write(dir: &Path, name: &str, text: &str, mode: u32) {
    let p = dir.join(name);
    if let Some(d) = p.parent() {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(&p, text).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn is_root() -> bool {
    let dir = tempfile::tempdir().unwrap();
    std::fs::metadata(dir.path()).unwrap().uid() == 0
}

#[test]
fn a_symlink_is_written_through_and_stays_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "real/target.rs", &unordered("Linked"), 0o640);
    write(d, "other.rs", &unordered("Other"), 0o644);
    std::os::unix::fs::symlink("real/target.rs", d.join("link.rs")).unwrap();
    let link_ino = std::fs::symlink_metadata(d.join("link.rs")).unwrap().ino();

    let r = fix(d, &["link.rs", "other.rs"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let link = std::fs::symlink_metadata(d.join("link.rs")).unwrap();
    assert!(
        link.file_type().is_symlink(),
        "the link became a plain file"
    );
    assert_eq!(link.ino(), link_ino);
    assert_eq!(
        std::fs::read_link(d.join("link.rs")).unwrap(),
        Path::new("real/target.rs")
    );
    assert_eq!(read(d.join("real/target.rs")), ordered("Linked"));
    assert_eq!(
        std::fs::metadata(d.join("real/target.rs")).unwrap().mode() & 0o7777,
        0o640
    );
    assert_eq!(read(d.join("other.rs")), ordered("Other"));
    // No temp file left next to the target or the link.
    let mut names: Vec<_> = std::fs::read_dir(d.join("real"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["target.rs"]);
}

#[test]
fn a_link_and_its_target_in_one_tree_are_fixed_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "src/a.rs", &unordered("A"), 0o644);
    std::os::unix::fs::symlink("a.rs", d.join("src/b_link.rs")).unwrap();
    write(d, "src/c.rs", &unordered("C"), 0o644);
    let r = fix(d, &["src"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(!r.stderr.contains("error"), "{}", r.stderr);
    assert_eq!(read(d.join("src/a.rs")), ordered("A"));
    assert_eq!(read(d.join("src/c.rs")), ordered("C"));
    assert!(
        std::fs::symlink_metadata(d.join("src/b_link.rs"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        r.stderr.matches(": A: reordered").count(),
        1,
        "{}",
        r.stderr
    );
}

#[test]
fn a_hard_linked_file_is_left_alone_and_the_others_are_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "src/a.rs", &unordered("A"), 0o644);
    write(d, "src/b.rs", &unordered("B"), 0o644);
    std::fs::hard_link(d.join("src/a.rs"), d.join("alias.rs")).unwrap();
    let ino = std::fs::metadata(d.join("src/a.rs")).unwrap().ino();

    let r = fix(d, &["src"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "note: src/a.rs: has 2 hard links; replacing it would leave the other names with \
             the old text (and an in-place write would not be atomic); left untouched"
        ),
        "{}",
        r.stderr
    );
    for name in ["src/a.rs", "alias.rs"] {
        let m = std::fs::metadata(d.join(name)).unwrap();
        assert_eq!((m.ino(), m.nlink()), (ino, 2), "{name}");
        assert_eq!(read(d.join(name)), unordered("A"), "{name}");
    }
    assert_eq!(read(d.join("src/b.rs")), ordered("B"));
    // Only the written file is in the diff.
    assert!(r.stdout.contains("+++ src/b.rs") && !r.stdout.contains("src/a.rs"));
}

#[test]
fn a_mode_0444_file_is_left_alone_even_by_root_and_dry_run_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "src/a.rs", &unordered("A"), 0o444);
    write(d, "src/b.rs", &unordered("B"), 0o644);
    let ino = std::fs::metadata(d.join("src/a.rs")).unwrap().ino();

    let dry = fix(d, &["src", "--dry-run"]);
    assert_eq!(dry.code, Some(0), "{}", dry.stderr);
    assert!(
        dry.stdout.contains("+++ src/a.rs") && dry.stdout.contains("+++ src/b.rs"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stderr.contains(
            "note: src/a.rs: read-only (mode 0444); without --dry-run it is left untouched"
        ),
        "{}",
        dry.stderr
    );
    assert_eq!(read(d.join("src/b.rs")), unordered("B"), "dry run wrote");

    let r = fix(d, &["src"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("note: src/a.rs: read-only (mode 0444); left untouched"),
        "{}",
        r.stderr
    );
    let m = std::fs::metadata(d.join("src/a.rs")).unwrap();
    assert_eq!((m.ino(), m.mode() & 0o7777), (ino, 0o444));
    assert_eq!(read(d.join("src/a.rs")), unordered("A"));
    assert_eq!(read(d.join("src/b.rs")), ordered("B"));
}

#[test]
fn owner_group_and_mode_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "a.rs", &unordered("A"), 0o600);
    write(d, "b.rs", &unordered("B"), 0o2664);
    let want_owner = if is_root() {
        std::os::unix::fs::chown(d.join("b.rs"), Some(4321), Some(4322)).unwrap();
        // chown clears set-gid; set it again.
        std::fs::set_permissions(d.join("b.rs"), std::fs::Permissions::from_mode(0o2664)).unwrap();
        (4321, 4322)
    } else {
        let m = std::fs::metadata(d.join("b.rs")).unwrap();
        (m.uid(), m.gid())
    };
    let before = std::fs::metadata(d.join("a.rs")).unwrap();

    let r = fix(d, &["a.rs", "b.rs"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let a = std::fs::metadata(d.join("a.rs")).unwrap();
    assert_eq!(a.mode() & 0o7777, 0o600);
    assert_eq!((a.uid(), a.gid()), (before.uid(), before.gid()));
    assert_ne!(
        a.ino(),
        before.ino(),
        "replaced by rename, not written in place"
    );
    let b = std::fs::metadata(d.join("b.rs")).unwrap();
    assert_eq!((b.uid(), b.gid()), want_owner);
    assert_eq!(b.mode() & 0o7777, 0o2664);
    assert_eq!(read(d.join("a.rs")), ordered("A"));
    assert_eq!(read(d.join("b.rs")), ordered("B"));
}

/// As a user other than root (root runs it as `nobody`): a 0444 file no longer fails
/// `--dry-run`, and a real run leaves it alone and fixes the rest.
#[test]
fn read_only_files_as_an_ordinary_user() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "src/a.rs", &unordered("A"), 0o444);
    write(d, "src/b.rs", &unordered("B"), 0o644);
    write(d, "src/c.rs", &unordered("C"), 0o644);
    let uid = if is_root() {
        for p in [
            d.to_path_buf(),
            d.join("src"),
            d.join("src/a.rs"),
            d.join("src/b.rs"),
            d.join("src/c.rs"),
        ] {
            std::os::unix::fs::chown(&p, Some(65534), Some(65534)).unwrap();
        }
        Some(65534)
    } else {
        None
    };
    let dry = fix_in(d, &["src", "--dry-run"], uid);
    assert_eq!(dry.code, Some(0), "{}", dry.stderr);
    assert!(!dry.stderr.contains("error"), "{}", dry.stderr);
    for f in ["a", "b", "c"] {
        assert!(
            dry.stdout.contains(&format!("+++ src/{f}.rs")),
            "{}",
            dry.stdout
        );
    }
    let r = fix_in(d, &["src"], uid);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("note: src/a.rs: read-only (mode 0444); left untouched"),
        "{}",
        r.stderr
    );
    assert_eq!(read(d.join("src/a.rs")), unordered("A"));
    assert_eq!(read(d.join("src/b.rs")), ordered("B"));
    assert_eq!(read(d.join("src/c.rs")), ordered("C"));
    if let Some(uid) = uid {
        for f in ["a", "b", "c"] {
            let m = std::fs::metadata(d.join(format!("src/{f}.rs"))).unwrap();
            assert_eq!((m.uid(), m.gid()), (uid, uid), "{f}.rs");
        }
    }
}

/// Run as `nobody` on a group-writable file owned by root: the rename would work (the
/// directory is writable) but would give the file to `nobody`, so nothing is written.
#[test]
fn a_file_whose_owner_cannot_be_kept_is_not_replaced() {
    if !is_root() {
        // Needs a second user; the check is the same chown the root test makes.
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.rs", &unordered("A"), 0o644);
        assert_eq!(fix(dir.path(), &["a.rs"]).code, Some(0));
        assert_eq!(read(dir.path().join("a.rs")), ordered("A"));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "a.rs", &unordered("A"), 0o666);
    write(d, "b.rs", &unordered("B"), 0o644);
    std::os::unix::fs::chown(d, Some(65534), Some(65534)).unwrap();
    std::os::unix::fs::chown(d.join("b.rs"), Some(65534), Some(65534)).unwrap();
    std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o777)).unwrap();
    let ino = std::fs::metadata(d.join("a.rs")).unwrap().ino();
    let r = fix_in(d, &["a.rs", "b.rs"], Some(65534));
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("a.rs: error: cannot write (cannot keep the owner 0:0"),
        "{}",
        r.stderr
    );
    let m = std::fs::metadata(d.join("a.rs")).unwrap();
    assert_eq!((m.ino(), m.uid(), m.mode() & 0o7777), (ino, 0, 0o666));
    assert_eq!(read(d.join("a.rs")), unordered("A"));
    assert_eq!(read(d.join("b.rs")), ordered("B"));
    let left: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with(".layout-cli-"))
        .collect();
    assert!(left.is_empty(), "temp files left: {left:?}");
}

#[test]
fn overlapping_paths_fix_each_file_once_without_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "src/a.rs",
        "#[derive(CacheLayout)]\n#[repr(C)]\npub struct A {\n    a: u8, b: u64, // about b\n    c: u8,\n}\n",
        0o644,
    );
    write(d, "src/b.rs", &unordered("B"), 0o644);
    for args in [&["src", "src/a.rs"][..], &["src/a.rs", "./src"][..]] {
        let r = fix(d, &[args, &["--dry-run"]].concat());
        assert_eq!(r.code, Some(0), "{args:?}: {}", r.stderr);
        assert!(!r.stderr.contains("error"), "{args:?}: {}", r.stderr);
        assert_eq!(
            r.stdout.matches("+++ ").count(),
            2,
            "{args:?}: {}",
            r.stdout
        );
    }
    let r = fix(d, &["src", "src/a.rs"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(
        read(d.join("src/a.rs")),
        "#[derive(CacheLayout)]\n#[repr(C)]\npub struct A {\n    a: u8,\n    c: u8,\n    b: u64, // about b\n}\n"
    );
    assert_eq!(read(d.join("src/b.rs")), ordered("B"));
}

/// Extended attributes through the C library (the test's own small binding).
#[cfg(target_os = "linux")]
mod xattr {
    use std::ffi::{CStr, c_char, c_int, c_void};
    use std::os::fd::AsRawFd;

    unsafe extern "C" {
        fn fgetxattr(fd: c_int, name: *const c_char, value: *mut c_void, size: usize) -> isize;
        fn fsetxattr(
            fd: c_int,
            name: *const c_char,
            value: *const c_void,
            size: usize,
            flags: c_int,
        ) -> c_int;
    }

    pub fn set(path: &std::path::Path, name: &CStr, value: &[u8]) -> bool {
        let f = std::fs::File::open(path).unwrap();
        // SAFETY: `f` is open for the call; `name` is NUL-terminated; `value` is valid
        // for `value.len()` bytes.
        let r = unsafe {
            fsetxattr(
                f.as_raw_fd(),
                name.as_ptr(),
                value.as_ptr().cast(),
                value.len(),
                0,
            )
        };
        r == 0
    }

    pub fn get(path: &std::path::Path, name: &CStr) -> Option<Vec<u8>> {
        let f = std::fs::File::open(path).unwrap();
        let mut buf = vec![0u8; 4096];
        // SAFETY: `f` is open for the call; `name` is NUL-terminated; `buf` is valid
        // for `buf.len()` writable bytes.
        let n = unsafe {
            fgetxattr(
                f.as_raw_fd(),
                name.as_ptr(),
                buf.as_mut_ptr().cast(),
                buf.len(),
            )
        };
        (n >= 0).then(|| {
            buf.truncate(n as usize);
            buf
        })
    }
}

#[cfg(target_os = "linux")]
#[test]
fn extended_attributes_and_an_acl_survive_the_rewrite() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "a.rs", &unordered("A"), 0o640);
    write(d, "b.rs", &unordered("B"), 0o644);
    assert!(xattr::set(&d.join("a.rs"), c"user.reviewed", b"yes"));
    // user::rw-, user 4321 r--, group::r--, mask::r--, other::---
    let mut acl = 2u32.to_le_bytes().to_vec();
    for (tag, perm, id) in [
        (1u16, 6u16, u32::MAX),
        (2, 4, 4321),
        (4, 4, u32::MAX),
        (0x10, 4, u32::MAX),
        (0x20, 0, u32::MAX),
    ] {
        acl.extend(tag.to_le_bytes());
        acl.extend(perm.to_le_bytes());
        acl.extend(id.to_le_bytes());
    }
    let has_acl = xattr::set(&d.join("a.rs"), c"system.posix_acl_access", &acl);
    let ino = std::fs::metadata(d.join("a.rs")).unwrap().ino();

    let r = fix(d, &["a.rs", "b.rs"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let a = d.join("a.rs");
    assert_eq!(read(&a), ordered("A"));
    assert_eq!(read(d.join("b.rs")), ordered("B"));
    let m = std::fs::metadata(&a).unwrap();
    assert_ne!(m.ino(), ino);
    assert_eq!(m.mode() & 0o7777, 0o640);
    assert_eq!(
        xattr::get(&a, c"user.reviewed").as_deref(),
        Some(&b"yes"[..])
    );
    if has_acl {
        assert_eq!(xattr::get(&a, c"system.posix_acl_access"), Some(acl));
    }
    assert_eq!(xattr::get(&d.join("b.rs"), c"user.reviewed"), None);
}
