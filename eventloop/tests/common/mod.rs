//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::sync::mpsc;
use std::time::Duration;

/// `full` under a normal run, `miri` under Miri, and multiplied by `EVENTLOOP_TEST_SCALE`
/// (e.g. `0.05`); under an emulator (`CACHELAYOUT_EMULATOR`, set by the qemu and wine
/// runners) the default factor is 0.1.
pub fn scale(full: usize, miri: usize) -> usize {
    if cfg!(miri) {
        return miri;
    }
    let f: f64 = std::env::var("EVENTLOOP_TEST_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|f: &f64| f.is_finite() && *f > 0.0)
        .unwrap_or(if std::env::var_os("CACHELAYOUT_EMULATOR").is_some() {
            0.1
        } else {
            1.0
        });
    ((full as f64 * f) as usize).max(1)
}

/// How long a test waits for something that should take microseconds, before calling it
/// a lost wakeup. Generous: CI machines are shared, and Miri is slow.
pub const PATIENCE: Duration = Duration::from_secs(if cfg!(miri) { 600 } else { 30 });

/// Waits for one message or fails the test (a hang would hide the bug).
pub fn expect<T>(rx: &mpsc::Receiver<T>, what: &str) -> T {
    match rx.recv_timeout(PATIENCE) {
        Ok(v) => v,
        Err(e) => panic!("{what}: {e:?} (a lost wakeup?)"),
    }
}

/// Waits until the loop has declared itself asleep (so the next submit must wake it),
/// instead of guessing with a fixed sleep (too short under emulators).
pub fn wait_asleep(h: &eventloop::Handle) {
    let start = std::time::Instant::now();
    while !h.is_sleeping() {
        assert!(
            start.elapsed() < PATIENCE,
            "the idle loop never went to sleep"
        );
        std::thread::sleep(Duration::from_micros(200));
    }
}
