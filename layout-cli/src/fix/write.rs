//! Atomic file replacement that keeps the file's identity.
//!
//! The new text goes into a temp file in the same directory as the file, is synced,
//! then renamed over it: readers see the old text or the new text, never a mix, and a
//! failure at any step leaves the original as it was. A rename makes a new inode, so
//! what the old inode carried is checked first ([`check`]) or carried over:
//!
//! - **Symlinks** are followed: the file written is the link's final target, in the
//!   target's directory, and the link itself is left as it was.
//! - **Hard links**: a file with more than one link is refused. Renaming over one name
//!   would leave the other names with the old text, and an in-place write would not
//!   be atomic.
//! - **Read-only** is judged by the mode bits (no write bit for anyone, e.g. 0444), not
//!   by whether the write would succeed: root can write a 0444 file, but the file says
//!   it is not to be changed. Such a file is refused. A file the current user cannot
//!   open for writing is refused too (a rename in a writable directory would otherwise
//!   replace a file the user could not write).
//! - **Mode, owner and group** are copied to the new file (the mode after the owner, as
//!   `chown` may clear set-id bits). When the owner or group cannot be kept (a user
//!   other than root replacing a file owned by someone else) nothing is written.
//! - **Extended attributes and ACLs** (POSIX ACLs are the `system.posix_acl_*`
//!   attributes, the SELinux label is `security.selinux`): on Linux every attribute of
//!   the old file is copied to the new one, and any the new file got from the
//!   directory that the old file did not have (a default ACL) is removed; when one
//!   cannot be copied or removed, nothing is written and that is an error. On other
//!   Unix systems they are not copied: the new file has what the directory gives new
//!   files.
//!
//! All of this is `cfg(unix)`. On other systems (Windows): symlinks are followed the
//! same way, the read-only attribute refuses the file, the new file gets the
//! permissions and ACL the directory gives new files, and hard links are not detected
//! (the standard library has no stable link count there), so a hard-linked file is
//! split.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Why a file is left alone (a note for people, not an error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What [`check`] found.
#[derive(Debug)]
pub enum Check {
    /// Write this file (the final target of any symlinks; the path itself if it does
    /// not exist yet).
    Write(PathBuf),
    /// Leave the file alone, for this reason.
    Refuse(Refusal),
}

/// Whether `path` may be replaced, and the file to replace. I/O errors (a dangling
/// symlink, a missing directory) are errors; the rules of the module docs are refusals.
pub fn check(path: &Path) -> io::Result<Check> {
    let link = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(Check::Write(path.to_path_buf()));
        }
        Err(e) => return Err(e),
    };
    let real = if link.file_type().is_symlink() {
        std::fs::canonicalize(path).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("symlink whose target cannot be read: {e}"),
            )
        })?
    } else {
        path.to_path_buf()
    };
    let meta = std::fs::metadata(&real)?;
    if !meta.is_file() {
        return Ok(Check::Refuse(Refusal("not a regular file".into())));
    }
    if let Some(r) = refusal(&real, &meta) {
        return Ok(Check::Refuse(r));
    }
    Ok(Check::Write(real))
}

#[cfg(unix)]
fn refusal(real: &Path, meta: &std::fs::Metadata) -> Option<Refusal> {
    use std::os::unix::fs::MetadataExt;
    if meta.nlink() > 1 {
        return Some(Refusal(format!(
            "has {} hard links; replacing it would leave the other names with the old \
             text (and an in-place write would not be atomic)",
            meta.nlink()
        )));
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o222 == 0 {
        return Some(Refusal(format!("read-only (mode {mode:04o})")));
    }
    not_writable(real)
}

#[cfg(not(unix))]
fn refusal(real: &Path, meta: &std::fs::Metadata) -> Option<Refusal> {
    if meta.permissions().readonly() {
        return Some(Refusal("read-only".into()));
    }
    not_writable(real)
}

/// Opening for writing (without truncating) asks the OS whether this user may write.
fn not_writable(real: &Path) -> Option<Refusal> {
    match std::fs::OpenOptions::new().write(true).open(real) {
        Ok(_) => None,
        Err(e) => Some(Refusal(format!("not writable by this user ({e})"))),
    }
}

/// Replaces `path` with `text` atomically, keeping its identity as the module docs
/// say. A refusal is an error of kind `PermissionDenied` carrying the reason.
pub fn atomic_write(path: &Path, text: &str) -> io::Result<()> {
    let real = match check(path)? {
        Check::Write(real) => real,
        Check::Refuse(r) => return Err(io::Error::new(io::ErrorKind::PermissionDenied, r.0)),
    };
    let dir = match real.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".layout-cli-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(text.as_bytes())?;
    if let Ok(meta) = std::fs::metadata(&real) {
        // Owner first: chown may clear set-id bits (and file capabilities).
        keep_identity(tmp.as_file(), &meta)?;
        #[cfg(target_os = "linux")]
        {
            xattr::carry(&std::fs::File::open(&real)?, tmp.as_file())?;
            // Setting an ACL rewrites the group mode bits: the mode once more.
            keep_identity(tmp.as_file(), &meta)?;
        }
    }
    tmp.as_file().sync_all()?;
    // On error the temp file is removed when `tmp` drops.
    tmp.persist(&real).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(unix)]
fn keep_identity(tmp: &std::fs::File, meta: &std::fs::Metadata) -> io::Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let (uid, gid) = (meta.uid(), meta.gid());
    let now = tmp.metadata()?;
    if now.uid() != uid || now.gid() != gid {
        std::os::unix::fs::fchown(tmp, Some(uid), Some(gid)).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot keep the owner {uid}:{gid} ({e}); nothing written"),
            )
        })?;
    }
    tmp.set_permissions(std::fs::Permissions::from_mode(meta.mode() & 0o7777))
}

/// Extended attributes on Linux, through the C library's `f*xattr` calls.
#[cfg(target_os = "linux")]
mod xattr {
    use std::ffi::{CStr, c_char, c_int, c_void};
    use std::fs::File;
    use std::io;
    use std::os::fd::AsRawFd;

    unsafe extern "C" {
        fn flistxattr(fd: c_int, list: *mut c_char, size: usize) -> isize;
        fn fgetxattr(fd: c_int, name: *const c_char, value: *mut c_void, size: usize) -> isize;
        fn fsetxattr(
            fd: c_int,
            name: *const c_char,
            value: *const c_void,
            size: usize,
            flags: c_int,
        ) -> c_int;
        fn fremovexattr(fd: c_int, name: *const c_char) -> c_int;
    }

    /// ENOTSUP (= EOPNOTSUPP on Linux): the filesystem has no extended attributes.
    const ENOTSUP: i32 = 95;
    /// ERANGE: the buffer became too small between the size query and the read.
    const ERANGE: i32 = 34;

    /// Calls `f(buf)` with a buffer of the size `f(empty)` reports, retrying when the
    /// value grew in between.
    fn read_sized(f: impl Fn(&mut [u8]) -> isize) -> io::Result<Vec<u8>> {
        loop {
            let n = f(&mut []);
            if n < 0 {
                return Err(io::Error::last_os_error());
            }
            let mut buf = vec![0u8; n as usize];
            let m = f(&mut buf);
            if m >= 0 {
                buf.truncate(m as usize);
                return Ok(buf);
            }
            let e = io::Error::last_os_error();
            if e.raw_os_error() != Some(ERANGE) {
                return Err(e);
            }
        }
    }

    /// The attribute names of `f`, each NUL-terminated; none where unsupported.
    fn names(f: &File) -> io::Result<Vec<Vec<u8>>> {
        let fd = f.as_raw_fd();
        let list = read_sized(|buf| {
            let (ptr, len) = if buf.is_empty() {
                (std::ptr::null_mut(), 0)
            } else {
                (buf.as_mut_ptr().cast::<c_char>(), buf.len())
            };
            // SAFETY: `fd` is open for the duration of the call (`f` is borrowed);
            // `ptr` is null with size 0 (a size query) or points to `len` writable
            // bytes of `buf`.
            unsafe { flistxattr(fd, ptr, len) }
        });
        match list {
            Ok(list) => Ok(list
                .split_inclusive(|&b| b == 0)
                .filter(|n| n.len() > 1)
                .map(<[u8]>::to_vec)
                .collect()),
            Err(e) if e.raw_os_error() == Some(ENOTSUP) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    fn cstr(name: &[u8]) -> &CStr {
        // `names` keeps only NUL-terminated entries; a name without one cannot occur.
        CStr::from_bytes_with_nul(name).unwrap_or(c"")
    }

    /// The value of attribute `name` of `f`.
    pub fn get(f: &File, name: &CStr) -> io::Result<Vec<u8>> {
        read_sized(|buf| {
            // SAFETY: `f` is open for the duration of the call (borrowed); `name` is
            // NUL-terminated; the buffer pointer is valid for `buf.len()` bytes (a size
            // query when 0, and then it is not written).
            unsafe {
                fgetxattr(
                    f.as_raw_fd(),
                    name.as_ptr(),
                    buf.as_mut_ptr().cast::<c_void>(),
                    buf.len(),
                )
            }
        })
    }

    /// Sets attribute `name` of `f` to `value` (creating or replacing it).
    pub fn set(f: &File, name: &CStr, value: &[u8]) -> io::Result<()> {
        // SAFETY: `f` is open and borrowed; `name` is NUL-terminated; `value` is valid
        // for `value.len()` bytes; flags 0 creates or replaces.
        let r = unsafe {
            fsetxattr(
                f.as_raw_fd(),
                name.as_ptr(),
                value.as_ptr().cast::<c_void>(),
                value.len(),
                0,
            )
        };
        if r == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    /// Gives `to` exactly the extended attributes of `from`.
    pub fn carry(from: &File, to: &File) -> io::Result<()> {
        let have = names(from)?;
        let fail = |what: &str, name: &[u8], e: io::Error| {
            io::Error::new(
                e.kind(),
                format!(
                    "cannot {what} extended attribute `{}` ({e}); nothing written",
                    cstr(name).to_string_lossy()
                ),
            )
        };
        for name in &have {
            let c = cstr(name);
            let value = get(from, c).map_err(|e| fail("read", name, e))?;
            if get(to, c).is_ok_and(|v| v == value) {
                continue;
            }
            set(to, c, &value).map_err(|e| fail("copy", name, e))?;
        }
        for name in names(to)? {
            if have.contains(&name) {
                continue;
            }
            // SAFETY: `to` is open and borrowed; the name is NUL-terminated.
            let r = unsafe { fremovexattr(to.as_raw_fd(), cstr(&name).as_ptr()) };
            if r != 0 {
                return Err(fail("remove", &name, io::Error::last_os_error()));
            }
        }
        Ok(())
    }

    /// All attribute names of `f` (for tests).
    #[cfg(test)]
    pub fn list(f: &File) -> io::Result<Vec<String>> {
        Ok(names(f)?
            .iter()
            .map(|n| cstr(n).to_string_lossy().into_owned())
            .collect())
    }
}

#[cfg(not(unix))]
fn keep_identity(tmp: &std::fs::File, meta: &std::fs::Metadata) -> io::Result<()> {
    tmp.set_permissions(meta.permissions())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("no/such/dir/a.rs");
        assert!(atomic_write(&p, "x").is_err());
    }

    #[test]
    fn a_new_file_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("new.json");
        atomic_write(&p, "{}\n").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "{}\n");
    }

    #[cfg(unix)]
    mod unix {
        use super::super::*;
        use std::os::unix::fs::{MetadataExt, PermissionsExt};

        fn file(dir: &Path, name: &str, mode: u32) -> PathBuf {
            let p = dir.join(name);
            std::fs::write(&p, "old").unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
            p
        }

        fn names(dir: &Path) -> Vec<String> {
            let mut v: Vec<String> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        }

        #[test]
        fn mode_0600_and_0640_are_kept_and_no_temp_file_is_left() {
            let dir = tempfile::tempdir().unwrap();
            for mode in [0o600, 0o640, 0o755] {
                let p = file(dir.path(), "a.rs", mode);
                atomic_write(&p, "new").unwrap();
                assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
                let m = std::fs::metadata(&p).unwrap().mode();
                assert_eq!(m & 0o7777, mode);
            }
            assert_eq!(names(dir.path()), ["a.rs"]);
        }

        #[test]
        fn a_symlink_is_written_through_to_its_target() {
            let dir = tempfile::tempdir().unwrap();
            std::fs::create_dir(dir.path().join("real")).unwrap();
            let target = file(&dir.path().join("real"), "t.rs", 0o640);
            let inode = std::fs::metadata(&target).unwrap().ino();
            let link = dir.path().join("link.rs");
            std::os::unix::fs::symlink("real/t.rs", &link).unwrap();
            assert!(
                matches!(check(&link).unwrap(), Check::Write(p) if p == target.canonicalize().unwrap())
            );
            atomic_write(&link, "new").unwrap();
            let lm = std::fs::symlink_metadata(&link).unwrap();
            assert!(lm.file_type().is_symlink(), "the link is still a link");
            assert_eq!(
                std::fs::read_link(&link).unwrap(),
                Path::new("real/t.rs"),
                "the link still points where it did"
            );
            assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
            let tm = std::fs::metadata(&target).unwrap();
            assert_eq!(tm.mode() & 0o7777, 0o640);
            assert_ne!(tm.ino(), inode, "a new inode, renamed into place");
            // The temp file was made next to the target, and is gone.
            assert_eq!(names(&dir.path().join("real")), ["t.rs"]);
            assert_eq!(names(dir.path()), ["link.rs", "real"]);
        }

        #[test]
        fn a_dangling_symlink_is_an_error() {
            let dir = tempfile::tempdir().unwrap();
            let link = dir.path().join("link.rs");
            std::os::unix::fs::symlink("nowhere.rs", &link).unwrap();
            let e = atomic_write(&link, "new").unwrap_err();
            assert!(e.to_string().contains("symlink"), "{e}");
            assert!(
                std::fs::symlink_metadata(&link)
                    .unwrap()
                    .file_type()
                    .is_symlink()
            );
        }

        #[test]
        fn a_hard_linked_file_is_refused() {
            let dir = tempfile::tempdir().unwrap();
            let a = file(dir.path(), "a.rs", 0o644);
            let b = dir.path().join("b.rs");
            std::fs::hard_link(&a, &b).unwrap();
            let Check::Refuse(r) = check(&a).unwrap() else {
                panic!("hard link not refused")
            };
            assert!(r.0.contains("2 hard links"), "{r}");
            let e = atomic_write(&a, "new").unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::PermissionDenied);
            for p in [&a, &b] {
                assert_eq!(std::fs::read_to_string(p).unwrap(), "old");
            }
            assert_eq!(
                std::fs::metadata(&a).unwrap().ino(),
                std::fs::metadata(&b).unwrap().ino(),
                "still one inode"
            );
            assert_eq!(names(dir.path()), ["a.rs", "b.rs"]);
        }

        #[test]
        fn mode_0444_is_refused_even_for_root() {
            let dir = tempfile::tempdir().unwrap();
            let p = file(dir.path(), "ro.rs", 0o444);
            let Check::Refuse(r) = check(&p).unwrap() else {
                panic!("read-only not refused")
            };
            assert_eq!(r.0, "read-only (mode 0444)");
            assert!(atomic_write(&p, "new").is_err());
            assert_eq!(std::fs::read_to_string(&p).unwrap(), "old");
            assert_eq!(std::fs::metadata(&p).unwrap().mode() & 0o7777, 0o444);
            // A group write bit makes it writable by the mode; root may then write it,
            // another owner may not (its owner bits say no).
            let p = file(dir.path(), "w.rs", 0o464);
            let verdict = check(&p).unwrap();
            if is_root() {
                assert!(matches!(verdict, Check::Write(_)), "{verdict:?}");
            } else {
                assert!(
                    matches!(&verdict, Check::Refuse(r) if r.0.starts_with("not writable")),
                    "{verdict:?}"
                );
            }
        }

        fn is_root() -> bool {
            let dir = tempfile::tempdir().unwrap();
            std::fs::metadata(dir.path()).unwrap().uid() == 0
        }

        #[test]
        fn owner_and_group_are_kept() {
            let dir = tempfile::tempdir().unwrap();
            let p = file(dir.path(), "a.rs", 0o664);
            if !is_root() {
                // Not root: the file is ours, and stays ours.
                let before = std::fs::metadata(&p).unwrap();
                atomic_write(&p, "new").unwrap();
                let after = std::fs::metadata(&p).unwrap();
                assert_eq!((after.uid(), after.gid()), (before.uid(), before.gid()));
                return;
            }
            // Root: hand the file to another user and group; the rewrite keeps them.
            std::os::unix::fs::chown(&p, Some(4321), Some(4322)).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o2664)).unwrap();
            atomic_write(&p, "new").unwrap();
            let m = std::fs::metadata(&p).unwrap();
            assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
            assert_eq!((m.uid(), m.gid()), (4321, 4322));
            assert_eq!(m.mode() & 0o7777, 0o2664, "set-gid survives the chown");
        }

        /// A POSIX ACL as the kernel stores it: version 2, then (tag, perm, id).
        #[cfg(target_os = "linux")]
        fn acl(entries: &[(u16, u16, u32)]) -> Vec<u8> {
            let mut v = 2u32.to_le_bytes().to_vec();
            for &(tag, perm, id) in entries {
                v.extend(tag.to_le_bytes());
                v.extend(perm.to_le_bytes());
                v.extend(id.to_le_bytes());
            }
            v
        }

        #[cfg(target_os = "linux")]
        const NO_ID: u32 = u32::MAX;

        #[cfg(target_os = "linux")]
        #[test]
        fn extended_attributes_and_acls_are_carried_over() {
            use super::super::xattr;
            let dir = tempfile::tempdir().unwrap();
            let p = file(dir.path(), "a.rs", 0o640);
            let f = std::fs::File::open(&p).unwrap();
            xattr::set(&f, c"user.origin", b"kept").unwrap();
            // user::rw-, user 4321 r--, group::r--, mask::r--, other::---
            let access = acl(&[
                (0x01, 6, NO_ID),
                (0x02, 4, 4321),
                (0x04, 4, NO_ID),
                (0x10, 4, NO_ID),
                (0x20, 0, NO_ID),
            ]);
            let with_acl = xattr::set(&f, c"system.posix_acl_access", &access).is_ok();
            drop(f);
            let ino = std::fs::metadata(&p).unwrap().ino();
            atomic_write(&p, "new").unwrap();
            let m = std::fs::metadata(&p).unwrap();
            assert_ne!(m.ino(), ino);
            assert_eq!(m.mode() & 0o7777, 0o640);
            let f = std::fs::File::open(&p).unwrap();
            assert_eq!(xattr::get(&f, c"user.origin").unwrap(), b"kept");
            if with_acl {
                assert_eq!(xattr::get(&f, c"system.posix_acl_access").unwrap(), access);
            }
            assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
        }

        #[cfg(target_os = "linux")]
        #[test]
        fn a_default_acl_of_the_directory_is_not_added() {
            use super::super::xattr;
            let dir = tempfile::tempdir().unwrap();
            let p = file(dir.path(), "a.rs", 0o644);
            let d = std::fs::File::open(dir.path()).unwrap();
            let default = acl(&[
                (0x01, 7, NO_ID),
                (0x02, 7, 4321),
                (0x04, 5, NO_ID),
                (0x10, 7, NO_ID),
                (0x20, 5, NO_ID),
            ]);
            if xattr::set(&d, c"system.posix_acl_default", &default).is_err() {
                // No ACL support on this filesystem: nothing can be inherited. Still
                // check the write leaves no attribute the old file lacked.
                atomic_write(&p, "new").unwrap();
                let f = std::fs::File::open(&p).unwrap();
                assert_eq!(xattr::list(&f).unwrap(), Vec::<String>::new());
                return;
            }
            // A file made now inherits the default ACL ...
            let probe = file(dir.path(), "probe.rs", 0o644);
            let pf = std::fs::File::open(&probe).unwrap();
            assert!(
                xattr::list(&pf)
                    .unwrap()
                    .contains(&"system.posix_acl_access".to_owned())
            );
            std::fs::remove_file(&probe).unwrap();
            // ... the rewritten one, made the same way, does not keep it.
            atomic_write(&p, "new").unwrap();
            let f = std::fs::File::open(&p).unwrap();
            assert_eq!(xattr::list(&f).unwrap(), Vec::<String>::new());
            assert_eq!(std::fs::metadata(&p).unwrap().mode() & 0o7777, 0o644);
        }
    }
}
