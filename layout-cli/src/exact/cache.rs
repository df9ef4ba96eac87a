//! The result cache: one JSON file per (inputs, target), named by a hash of everything
//! that decides rustc's numbers: the workspace's sources and manifests, `Cargo.lock`,
//! cargo config files, `rustc -vV`, the target, the cargo flags, the rustflags in the
//! environment, the instantiations asked for and this tool's version. Any change is a
//! new key, so a stale entry is never read; a hit costs one hash of the sources.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use super::TargetOutcome;

/// The layout of cached results; bumped when what a result holds changes.
pub const FORMAT: u32 = 4;

/// A 128-bit key built from two differently seeded SipHash states.
#[derive(Debug)]
pub struct Key {
    a: DefaultHasher,
    b: DefaultHasher,
}

impl Default for Key {
    fn default() -> Self {
        let mut b = DefaultHasher::new();
        0x6c61_796f_7574_u64.hash(&mut b);
        Key {
            a: DefaultHasher::new(),
            b,
        }
    }
}

impl Key {
    /// Adds a labelled value.
    pub fn add(&mut self, label: &str, value: impl Hash) {
        label.hash(&mut self.a);
        value.hash(&mut self.a);
        label.hash(&mut self.b);
        value.hash(&mut self.b);
    }

    /// Adds a file's path and contents (a missing file counts as such).
    pub fn add_file(&mut self, path: &Path) {
        let bytes = std::fs::read(path).ok();
        self.add(&path.to_string_lossy(), bytes);
    }

    /// The key as 32 hex digits.
    pub fn hex(&self) -> String {
        format!("{:016x}{:016x}", self.a.finish(), self.b.finish())
    }
}

/// Every file under `dir` that can decide a layout: `.rs` sources and `Cargo.toml`s,
/// skipping `target` and hidden directories.
pub fn input_files(dir: &Path) -> Vec<PathBuf> {
    super::scan::files_under(dir, |name, _| name.ends_with(".rs") || name == "Cargo.toml")
}

/// The cached outcome for `key`, if there is one that reads back.
pub fn load(dir: &Path, key: &str) -> Option<TargetOutcome> {
    let bytes = std::fs::read(dir.join(format!("{key}.json"))).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Saves `outcome` under `key` (written to a temporary name, then renamed, so a
/// concurrent reader never sees half a file). Failures only cost a future cache miss.
pub fn store(dir: &Path, key: &str, outcome: &TargetOutcome) {
    if let Ok(text) = serde_json::to_vec(outcome) {
        write_entry(dir, &format!("{key}.json"), &text);
    }
}

/// Writes `dir/name` (creating `dir`) through a temporary name and a rename, so a
/// concurrent reader never sees half a file; a failure leaves no file behind and only
/// costs a future cache miss.
pub fn write_entry(dir: &Path, name: &str, bytes: &[u8]) {
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let tmp = dir.join(format!("{name}.{}.tmp", std::process::id()));
    if std::fs::write(&tmp, bytes).is_err() || std::fs::rename(&tmp, dir.join(name)).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_change_with_any_input_and_round_trip() {
        let mut a = Key::default();
        a.add("target", "x86_64-unknown-linux-gnu");
        let mut b = Key::default();
        b.add("target", "aarch64-apple-darwin");
        assert_ne!(a.hex(), b.hex());
        assert_eq!(a.hex().len(), 32);
        let tmp = tempfile::tempdir().unwrap();
        let o = TargetOutcome {
            target: "t".into(),
            failed_packages: vec!["p".into()],
            ..Default::default()
        };
        store(tmp.path(), &a.hex(), &o);
        assert_eq!(load(tmp.path(), &a.hex()), Some(o));
        assert_eq!(load(tmp.path(), &b.hex()), None);
    }
}
