//! `rustc --print cfg` answers kept between runs.
//!
//! Asking rustc for four targets' cfg sets costs four compiler start-ups, more than
//! `cargo metadata` itself once cargo has its own rustc cache. The answer depends only
//! on the compiler, the target and the flags, so it is stored under a key made of:
//! the toolchain's sysroot (one `rustc --print sysroot`, which every run still makes),
//! the size and modification time of the compiler's driver library and `rustc` binary
//! there (a toolchain update or a local rebuild changes them, as in cargo's own rustc
//! fingerprint), the `RUSTC` program, the environment variables rustc reads for this
//! (`RUSTC_BOOTSTRAP`, `RUST_TARGET_PATH`), the target, every flag, and this tool's
//! version. Keys are content addresses: an entry found anywhere is the answer for its
//! key, so lookups may try several places and a stale entry is never read. A toolchain
//! whose driver cannot be found is not cached at all.
//!
//! Entries are written to `<target dir>/layout-cli/rustc-cfg/<key>.cfg` the way `--exact`
//! writes its results (the same 128-bit key and atomic write); a failure to write only
//! costs the next run a rustc call.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::UNIX_EPOCH;

use crate::exact::cache::{Key, write_entry};

/// Bumped when what an entry holds changes.
const FORMAT: u32 = 1;

/// Where cached answers are looked up and stored, for one run.
#[derive(Debug, Default)]
pub struct CfgCache {
    /// The toolchain's identity, or `None`: nothing is cached.
    toolchain: Option<String>,
    /// Directories looked in, first hit wins.
    dirs: Vec<PathBuf>,
    /// Answers rustc gave this run, to store once the target directory is known.
    fresh: Mutex<Vec<(String, String)>>,
}

impl CfgCache {
    /// The cache of a run whose rustc is `rustc` started in `cwd`, looked up in the
    /// candidate target directories of `cwd` (`CARGO_TARGET_DIR`, then `target/` in
    /// `cwd` and each ancestor).
    pub fn new(rustc: impl Fn() -> Command, cwd: &Path) -> CfgCache {
        let dirs = target_dirs(cwd).iter().map(|d| subdir(d)).collect();
        CfgCache {
            toolchain: toolchain(rustc, cwd),
            dirs,
            fresh: Mutex::default(),
        }
    }

    /// The key of `rustc --print cfg --target triple flags...`, if cached at all.
    pub fn key(&self, triple: &str, flags: &[String]) -> Option<String> {
        let mut key = Key::default();
        key.add("toolchain", self.toolchain.as_ref()?);
        key.add("format", FORMAT);
        key.add("version", env!("CARGO_PKG_VERSION"));
        key.add("target", triple);
        key.add("flags", flags);
        Some(key.hex())
    }

    /// The stored answer for `key`.
    pub fn get(&self, key: &str) -> Option<String> {
        let name = format!("{key}.cfg");
        self.dirs
            .iter()
            .find_map(|d| std::fs::read_to_string(d.join(&name)).ok())
    }

    /// Notes rustc's answer for `key`, stored by [`CfgCache::store`].
    pub fn put(&self, key: String, text: String) {
        if let Ok(mut f) = self.fresh.lock() {
            f.push((key, text));
        }
    }

    /// Writes this run's fresh answers under `target_dir`.
    pub fn store(&self, target_dir: &Path) {
        let fresh = match self.fresh.lock() {
            Ok(mut f) => std::mem::take(&mut *f),
            Err(_) => return,
        };
        if fresh.is_empty() {
            return;
        }
        let dir = subdir(target_dir);
        for (key, text) in fresh {
            write_entry(&dir, &format!("{key}.cfg"), text.as_bytes());
        }
    }
}

/// Where cargo's target directory may be before `cargo metadata` says: `CARGO_TARGET_DIR`,
/// then `target/` in `cwd` and each ancestor (a `build.target-dir` in a config file is
/// not looked for; answers are then only stored there, not found).
pub fn target_dirs(cwd: &Path) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(t) = std::env::var_os("CARGO_TARGET_DIR") {
        dirs.push(cwd.join(t));
    }
    dirs.extend(cwd.ancestors().map(|a| a.join("target")));
    dirs
}

fn subdir(target_dir: &Path) -> PathBuf {
    target_dir.join("layout-cli").join("rustc-cfg")
}

/// The toolchain's identity: the `RUSTC` program, the sysroot, the environment rustc
/// reads for cfgs, and the size and time of `bin/rustc` and the driver library.
fn toolchain(rustc: impl Fn() -> Command, cwd: &Path) -> Option<String> {
    let out = rustc()
        .current_dir(cwd)
        .args(["--print", "sysroot"])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let sysroot = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    let mut id = format!(
        "rustc={:?}\nsysroot={}\nRUSTC_BOOTSTRAP={:?}\nRUST_TARGET_PATH={:?}\n",
        std::env::var_os("RUSTC"),
        sysroot.display(),
        std::env::var_os("RUSTC_BOOTSTRAP"),
        std::env::var_os("RUST_TARGET_PATH"),
    );
    let mut drivers = 0;
    for dir in ["bin", "lib"] {
        let Ok(entries) = std::fs::read_dir(sysroot.join(dir)) else {
            continue;
        };
        let mut files: Vec<(String, u64, u128)> = entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let driver = name.contains("rustc_driver");
                if !(driver || name == "rustc" || name == "rustc.exe") {
                    return None;
                }
                let m = e.metadata().ok()?;
                let t = m.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
                drivers += usize::from(driver);
                Some((name, m.len(), t.as_nanos()))
            })
            .collect();
        files.sort();
        for (name, len, t) in files {
            id.push_str(&format!("{dir}/{name} {len} {t}\n"));
        }
    }
    (drivers > 0).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache_for(toolchain: &str, dirs: Vec<PathBuf>) -> CfgCache {
        CfgCache {
            toolchain: Some(toolchain.into()),
            dirs,
            fresh: Mutex::default(),
        }
    }

    #[test]
    fn keys_change_with_toolchain_target_and_every_flag() {
        let a = cache_for("t1", Vec::new());
        let b = cache_for("t2", Vec::new());
        let flags = |f: &[&str]| f.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let k = a.key(
            "x86_64-unknown-linux-gnu",
            &flags(&["-Cdebug-assertions=on"]),
        );
        assert_eq!(
            k,
            a.key(
                "x86_64-unknown-linux-gnu",
                &flags(&["-Cdebug-assertions=on"])
            )
        );
        for other in [
            b.key(
                "x86_64-unknown-linux-gnu",
                &flags(&["-Cdebug-assertions=on"]),
            ),
            a.key("aarch64-apple-darwin", &flags(&["-Cdebug-assertions=on"])),
            a.key(
                "x86_64-unknown-linux-gnu",
                &flags(&["-Cdebug-assertions=off"]),
            ),
            a.key(
                "x86_64-unknown-linux-gnu",
                &flags(&["-Cdebug-assertions=on", "--cfg", "x"]),
            ),
        ] {
            assert_ne!(k, other);
        }
        let none = CfgCache::default();
        assert_eq!(none.key("x86_64-unknown-linux-gnu", &[]), None);
    }

    #[test]
    fn stored_answers_are_found_in_any_candidate_dir() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("elsewhere");
        let c = cache_for(
            "t",
            vec![subdir(&tmp.path().join("first")), subdir(&target)],
        );
        let key = c.key("aarch64-apple-darwin", &[]).unwrap();
        assert_eq!(c.get(&key), None);
        c.put(key.clone(), "unix\n".into());
        assert_eq!(c.get(&key), None, "stored only by store()");
        c.store(&target);
        assert_eq!(c.get(&key).as_deref(), Some("unix\n"));
        let names: Vec<_> = std::fs::read_dir(subdir(&target))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, [format!("{key}.cfg")], "no temporary file left");
    }
}
