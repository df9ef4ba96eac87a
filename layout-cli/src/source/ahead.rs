//! Reading ahead on the second core: the files the same report read last time are read,
//! lexed and split ([`super::prepare`]) by a worker thread, from before `cargo metadata`
//! answers, while this thread waits for cargo and then parses.
//!
//! Only the work before syn is done there: syn's trees hold `Rc`s and their spans point
//! into a per-thread source map, so they are made, and stay, on the thread that reads
//! them. The worker's results are plain texts, token-free splits and identifier sets.
//! That thread (the engine's) is started before cargo too, and while it waits for the
//! build it parses the worker's results in list order ([`ReadAhead::next_prepared`],
//! `source::parse_ahead`), for its walk to take.
//!
//! A run records the files it asked for, in order, under the target directory
//! (`layout-cli/read-ahead/KEY.list`, KEY a digest of the manifest, the cargo flags,
//! the targets and the tool's version). The next run with the same key hands that list
//! to the worker. The list decides only what is read early, never what is read: the walk
//! asks for each file it reaches, takes the worker's result if it has one for that path
//! read the same way, and reads the file itself otherwise (a first run, an edited module
//! tree, a file the worker has not reached). A file the worker is reading is waited for
//! rather than read twice; one it has not started is taken from it.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use super::Prepared;
use crate::analysis::FileError;

/// How many bytes of prepared files the worker holds before this thread takes them: it
/// waits there rather than raise the report's peak memory.
const AHEAD_BYTES: usize = 24 << 20;

/// The list format's version (a change makes old lists unread).
const FORMAT: &str = "1";

/// One run's reading ahead.
#[derive(Debug)]
pub struct ReadAhead {
    shared: Arc<Shared>,
    /// Where this run's list is stored, and the list it was started with.
    name: String,
    dirs: Vec<PathBuf>,
    previous: Vec<(PathBuf, bool)>,
}

/// The condition variable is only waited on and signalled with the lock held, by both
/// threads: the two are one unit, a few operations per file, and share a line on purpose.
// layout:allow(possible-false-sharing)
#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct State {
    slots: HashMap<PathBuf, Slot>,
    queue: VecDeque<(PathBuf, bool)>,
    /// Bytes held in `Done` slots.
    held: usize,
    /// Files asked for this run, in order, with how.
    asked: Vec<(PathBuf, bool)>,
    /// Files taken from the worker by the walk, and files the walk found parsed ahead
    /// (for tests and timings).
    hits: usize,
    parsed: usize,
    /// The list, and how far [`ReadAhead::next_prepared`] has taken it.
    order: Vec<PathBuf>,
    cursor: usize,
}

#[derive(Debug)]
enum Slot {
    /// Listed, not started (`defer` as listed).
    Pending,
    /// The worker is reading it.
    Running,
    /// Read: (defer, result, bytes held).
    Done(bool, Result<Prepared, FileError>, usize),
    /// Asked for by the walk before the worker started it, or taken.
    Gone,
}

fn lock(s: &Shared) -> MutexGuard<'_, State> {
    s.state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Waits for the next change to `s`'s state.
fn wait<'a>(s: &'a Shared, st: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
    s.changed
        .wait(st)
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl State {
    /// Takes `path`'s result out of a `Done` slot (leaving it `Gone`): how it was read
    /// and what it gave.
    fn take_done(&mut self, path: &Path) -> Option<(bool, Result<Prepared, FileError>)> {
        let slot = self.slots.get_mut(path)?;
        if !matches!(slot, Slot::Done(..)) {
            return None;
        }
        let Slot::Done(defer, result, bytes) = std::mem::replace(slot, Slot::Gone) else {
            unreachable!("matched Done")
        };
        self.held -= bytes;
        Some((defer, result))
    }
}

impl ReadAhead {
    /// Starts reading ahead the list stored under `name` in the first of `dirs` that
    /// has one; a run without a list only records one.
    pub fn start(name: String, dirs: Vec<PathBuf>) -> ReadAhead {
        let previous = dirs
            .iter()
            .find_map(|d| std::fs::read_to_string(d.join(&name)).ok())
            .map(|t| parse_list(&t))
            .unwrap_or_default();
        let shared = Arc::new(Shared::default());
        if !previous.is_empty() {
            {
                let mut st = lock(&shared);
                for (p, defer) in &previous {
                    if st.slots.insert(p.clone(), Slot::Pending).is_none() {
                        st.queue.push_back((p.clone(), *defer));
                        st.order.push(p.clone());
                    }
                }
            }
            let worker = Arc::clone(&shared);
            // Detached: it ends with its queue, or with the process.
            let _ = std::thread::Builder::new()
                .name("layout-read-ahead".into())
                .stack_size(8 << 20)
                .spawn(move || work(&worker));
        }
        ReadAhead {
            shared,
            name,
            dirs,
            previous,
        }
    }

    /// The list's file name for a run of this key.
    pub fn list_name(key: &str) -> String {
        format!("{key}.list")
    }

    /// Notes that the walk reads `path` the way `defer` says (the next run's list).
    pub fn asked(&self, path: &Path, defer: bool) {
        lock(&self.shared).asked.push((path.to_path_buf(), defer));
    }

    /// Notes that the walk found a file parsed ahead.
    pub fn parsed_hit(&self) {
        lock(&self.shared).parsed += 1;
    }

    /// The next listed file, prepared, in list order (waiting for the worker to get to
    /// it); `None` when the list is done. For parsing ahead on the walk's thread while
    /// cargo runs; the walk asks for what it needs as usual.
    pub fn next_prepared(&self) -> Option<(PathBuf, bool, Result<Prepared, FileError>)> {
        let mut st = lock(&self.shared);
        loop {
            let path = st.order.get(st.cursor)?.clone();
            match st.slots.get_mut(&path) {
                Some(Slot::Pending | Slot::Running) => {
                    // The worker takes the list in this order and holds nothing past
                    // this file, so it is not stopped at `AHEAD_BYTES`: it gets here.
                    st = wait(&self.shared, st);
                }
                Some(Slot::Done(..)) => {
                    let (defer, result) = st.take_done(&path)?;
                    st.cursor += 1;
                    self.shared.changed.notify_all();
                    return Some((path, defer, result));
                }
                Some(Slot::Gone) | None => st.cursor += 1,
            }
        }
    }

    /// The prepared `path`, read the way `defer` says, if the worker has it or is
    /// reading it (then this waits); `None`: read it here (the worker will not).
    pub fn take(&self, path: &Path, defer: bool) -> Option<Result<Prepared, FileError>> {
        let mut st = lock(&self.shared);
        loop {
            match st.slots.get_mut(path) {
                None => return None,
                Some(Slot::Running) => st = wait(&self.shared, st),
                Some(slot @ Slot::Pending) | Some(slot @ Slot::Gone) => {
                    *slot = Slot::Gone;
                    return None;
                }
                Some(Slot::Done(..)) => {
                    let (how, result) = st.take_done(path)?;
                    self.shared.changed.notify_all();
                    if how != defer {
                        return None;
                    }
                    st.hits += 1;
                    return Some(result);
                }
            }
        }
    }

    /// Waits until the worker has nothing left to read.
    #[cfg(test)]
    fn settle(&self) {
        let mut st = lock(&self.shared);
        while !st.queue.is_empty() || st.slots.values().any(|s| matches!(s, Slot::Running)) {
            st = wait(&self.shared, st);
        }
    }

    /// How many files the walk took from the worker, and found parsed ahead.
    pub fn hits(&self) -> (usize, usize) {
        let st = lock(&self.shared);
        (st.hits, st.parsed)
    }

    /// Stores this run's list under `target_dir` (when it differs from the one read) and
    /// stops the worker.
    pub fn finish(&self, target_dir: Option<&Path>) {
        let asked = {
            let mut st = lock(&self.shared);
            st.queue.clear();
            st.order.clear();
            self.shared.changed.notify_all();
            std::mem::take(&mut st.asked)
        };
        let Some(dir) = target_dir
            .map(subdir)
            .or_else(|| self.dirs.first().cloned())
        else {
            return;
        };
        if asked.is_empty() || asked == self.previous {
            return;
        }
        let mut text = format!("layout-cli read-ahead {FORMAT}\n");
        for (p, defer) in &asked {
            // A path that is not one line cannot be listed; it is read when reached.
            let Some(s) = p.to_str().filter(|s| !s.contains('\n')) else {
                continue;
            };
            text.push(if *defer { 'd' } else { 'w' });
            text.push(' ');
            text.push_str(s);
            text.push('\n');
        }
        crate::exact::cache::write_entry(&dir, &self.name, text.as_bytes());
    }
}

/// Where lists live under a target directory.
pub fn subdir(target_dir: &Path) -> PathBuf {
    target_dir.join("layout-cli").join("read-ahead")
}

fn parse_list(text: &str) -> Vec<(PathBuf, bool)> {
    let mut lines = text.lines();
    if lines.next() != Some(&format!("layout-cli read-ahead {FORMAT}")[..]) {
        return Vec::new();
    }
    lines
        .filter_map(|l| match l.split_once(' ') {
            Some(("d", p)) => Some((PathBuf::from(p), true)),
            Some(("w", p)) => Some((PathBuf::from(p), false)),
            _ => None,
        })
        .collect()
}

fn work(shared: &Shared) {
    loop {
        let (path, defer) = {
            let mut st = lock(shared);
            loop {
                if st.held <= AHEAD_BYTES
                    && let Some(next) = st.queue.pop_front()
                {
                    if matches!(st.slots.get(&next.0), Some(Slot::Pending)) {
                        st.slots.insert(next.0.clone(), Slot::Running);
                        break next;
                    }
                    continue;
                }
                if st.queue.is_empty() {
                    shared.changed.notify_all();
                    return;
                }
                st = wait(shared, st);
            }
        };
        let mut names = super::deferred::Names::default();
        let result = super::prepare(&path, defer, &mut names).map(|mut p| {
            p.names = names;
            p
        });
        let bytes = result.as_ref().map_or(0, Prepared::bytes);
        let mut st = lock(shared);
        st.held += bytes;
        st.slots.insert(path, Slot::Done(defer, result, bytes));
        shared.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_round_trips_and_a_foreign_one_is_not_read() {
        let list = vec![
            (PathBuf::from("/a b/src/lib.rs"), false),
            (PathBuf::from("/r/x/src/sys.rs"), true),
        ];
        let mut text = format!("layout-cli read-ahead {FORMAT}\n");
        for (p, d) in &list {
            text.push_str(&format!("{} {}\n", if *d { 'd' } else { 'w' }, p.display()));
        }
        assert_eq!(parse_list(&text), list);
        assert!(parse_list("layout-cli read-ahead 0\nw /x.rs\n").is_empty());
        assert!(parse_list("").is_empty());
    }

    #[test]
    fn the_walk_gets_the_workers_result_only_for_the_same_reading() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (
            dir.path().join("a.rs"),
            dir.path().join("b.rs"),
            dir.path().join("c.rs"),
        );
        std::fs::write(&a, "pub struct A { x: u8 }\n").unwrap();
        std::fs::write(&b, "pub struct B { x: u16 }\nfn f() { let y = 1; }\n").unwrap();
        std::fs::write(&c, "pub struct C;\n").unwrap();
        let lists = dir.path().join("lists");
        let first = ReadAhead::start("k.list".into(), vec![lists.clone()]);
        // No list yet: nothing read ahead, everything read by the walk.
        for (p, defer) in [(&a, false), (&b, true)] {
            first.asked(p, defer);
            assert!(first.take(p, defer).is_none());
        }
        first.finish(Some(dir.path()));
        let stored = subdir(dir.path());
        let second = ReadAhead::start("k.list".into(), vec![stored]);
        second.settle();
        // `a` as listed: the worker's result.
        let got = second.take(&a, false).expect("read ahead").expect("parses");
        assert!(got.text.contains("struct A"));
        // `b` was listed deferred; asked whole, it is read here instead.
        assert!(second.take(&b, false).is_none());
        // `c` was never listed.
        assert!(second.take(&c, false).is_none());
        assert_eq!(second.hits(), (1, 0));
    }
}
