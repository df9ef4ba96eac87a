//! Single-thread submit cost, for exact instruction counts under callgrind: queue N
//! one-word closures into a loop that is not running yet, then run them all and stop.
//! Two runs with different N cancel the setup: (Ir(2N) - Ir(N)) / N is the instructions
//! per submit + run of one task.
//!
//! `valgrind --tool=callgrind target/release/examples/submit_instructions 100000 [shards]`
//! (`shards`: `Config::submit_shards`, default: the default config's).

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};

use eventloop::{Config, Cx, EventLoop};

static TOTAL: AtomicU64 = AtomicU64::new(0);

fn main() -> ExitCode {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let mut cfg = Config::default();
    if let Some(s) = std::env::args().nth(2).and_then(|a| a.parse().ok()) {
        cfg.submit_shards = s;
    }
    let mut el = match EventLoop::with_config(cfg) {
        Ok(el) => el,
        Err(e) => {
            eprintln!("submit_instructions: {e}");
            return ExitCode::FAILURE;
        }
    };
    let h = el.handle();
    for i in 0..n {
        // One captured word, like the benches' counter increment. Relaxed: a checksum
        // read after `run` returns on this same thread.
        if h.submit(move |_: &mut Cx| {
            TOTAL.fetch_add(i, Ordering::Relaxed);
        })
        .is_err()
        {
            eprintln!("submit_instructions: rejected");
            return ExitCode::FAILURE;
        }
    }
    h.shutdown();
    if let Err(e) = el.run() {
        eprintln!("submit_instructions: {e}");
        return ExitCode::FAILURE;
    }
    let want = n * n.saturating_sub(1) / 2;
    if h.stats().executed != n || TOTAL.load(Ordering::Relaxed) != want {
        eprintln!("submit_instructions: not every task ran exactly once");
        return ExitCode::FAILURE;
    }
    println!("submitted and ran {n} tasks");
    ExitCode::SUCCESS
}
