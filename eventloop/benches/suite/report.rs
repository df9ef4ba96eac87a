//! What criterion does not record for us: per-iteration latency histograms (p50/p99), CPU
//! time per operation, and a summary table that reads criterion's own estimates back (mean
//! and 95% confidence interval) to compute ratios against the best peer.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Latencies up to this many nanoseconds get a 1 ns bucket each; longer ones are counted in
/// an overflow bucket (and still move p99 if they are more than 1% of the samples).
const HIST_MAX_NS: usize = 200_000;

/// A latency histogram with 1 ns resolution.
pub struct Hist {
    buckets: Vec<u32>,
    overflow: u64,
    count: u64,
}

impl Hist {
    pub fn new() -> Self {
        Self {
            buckets: vec![0; HIST_MAX_NS],
            overflow: 0,
            count: 0,
        }
    }

    #[inline]
    pub fn record(&mut self, d: Duration) {
        let ns = d.as_nanos();
        match usize::try_from(ns) {
            Ok(i) if i < HIST_MAX_NS => self.buckets[i] = self.buckets[i].saturating_add(1),
            _ => self.overflow += 1,
        }
        self.count += 1;
    }

    /// The smallest latency with at least `q` of the samples at or below it; `None` when
    /// empty, `Some(None)` when it lies in the overflow bucket.
    pub fn quantile(&self, q: f64) -> Option<Option<u64>> {
        if self.count == 0 {
            return None;
        }
        let want = ((self.count as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0u64;
        for (ns, &n) in self.buckets.iter().enumerate() {
            seen += u64::from(n);
            if seen >= want {
                return Some(Some(ns as u64));
            }
        }
        Some(None)
    }

    /// Empties it, keeping the buckets' memory.
    pub fn clear(&mut self) {
        self.buckets.fill(0);
        self.overflow = 0;
        self.count = 0;
    }

    pub fn merge(&mut self, other: &Hist) {
        for (a, b) in self.buckets.iter_mut().zip(&other.buckets) {
            *a = a.saturating_add(*b);
        }
        self.overflow += other.overflow;
        self.count += other.count;
    }

    /// The non-empty buckets, for keeping many small histograms until they are merged.
    pub fn sparse(&self) -> SparseHist {
        SparseHist {
            buckets: self
                .buckets
                .iter()
                .enumerate()
                .filter(|&(_, &n)| n != 0)
                .map(|(ns, &n)| (ns as u32, n))
                .collect(),
            overflow: self.overflow,
            count: self.count,
        }
    }

    pub fn merge_sparse(&mut self, other: &SparseHist) {
        for &(ns, n) in &other.buckets {
            let b = &mut self.buckets[ns as usize];
            *b = b.saturating_add(n);
        }
        self.overflow += other.overflow;
        self.count += other.count;
    }
}

/// A [`Hist`] as its non-empty buckets (nanoseconds, count).
pub struct SparseHist {
    buckets: Vec<(u32, u32)>,
    overflow: u64,
    count: u64,
}

#[derive(Default)]
struct Entry {
    ops: u64,
    wall: Duration,
    cpu: Option<Duration>,
    hist: Option<Hist>,
    /// For measurements made outside criterion (wakeup latency): the mean per op.
    own_mean: Option<Duration>,
    /// Cache-line round trips between two threads, measured after each sample (ns).
    line_rtt: Vec<f64>,
}

struct Registry {
    order: Vec<(String, String)>,
    entries: BTreeMap<(String, String), Entry>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    order: Vec::new(),
    entries: BTreeMap::new(),
});

fn with_entry<R>(group: &str, function: &str, f: impl FnOnce(&mut Entry) -> R) -> R {
    let mut reg = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    let key = (group.to_owned(), function.to_owned());
    if !reg.entries.contains_key(&key) {
        reg.order.push(key.clone());
        reg.entries.insert(key.clone(), Entry::default());
    }
    f(reg.entries.get_mut(&key).expect("inserted above"))
}

/// Runs one criterion sample (`iters` operations) and accounts its wall and CPU time.
pub fn sample(group: &str, function: &str, iters: u64, run: impl FnOnce() -> Duration) -> Duration {
    let cpu0 = process_cpu_time();
    let wall0 = Instant::now();
    let measured = run();
    let wall = wall0.elapsed();
    let cpu = match (cpu0, process_cpu_time()) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    };
    let rtt = line_rtt_ns();
    with_entry(group, function, |e| {
        e.line_rtt.push(rtt);
        e.ops += iters;
        e.wall += wall;
        e.cpu = match (e.cpu, cpu) {
            (Some(a), Some(b)) => Some(a + b),
            (None, b) => b,
            (a, None) => a,
        };
    });
    measured
}

/// Two threads bouncing one cache line: ns per round trip (the mean of 2,000).
///
/// On this KVM guest every cross-thread figure is bimodal over seconds (the round trip
/// lands at ~0.25 or ~0.9 us for every executor alike), which follows where the host runs
/// the two vCPUs. Measuring the line round trip after each sample (outside the timed
/// region) labels each row with the mode it ran in, so rows are compared like for like.
fn line_rtt_ns() -> f64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    #[repr(align(128))]
    struct Line(AtomicU64);
    const N: u64 = 2_000;
    let line = std::sync::Arc::new(Line(AtomicU64::new(0)));
    let other = std::sync::Arc::clone(&line);
    let echo = std::thread::spawn(move || {
        for i in 0..=N {
            // Acquire/Release: each side hands the line to the other in turn.
            while other.0.load(Ordering::Acquire) != 2 * i + 1 {
                std::hint::spin_loop();
            }
            other.0.store(2 * i + 2, Ordering::Release);
        }
    });
    let bounce = |i: u64| {
        line.0.store(2 * i + 1, Ordering::Release);
        while line.0.load(Ordering::Acquire) != 2 * i + 2 {
            std::hint::spin_loop();
        }
    };
    // The first round trip waits for the echo thread to start: not timed.
    bounce(0);
    let t0 = Instant::now();
    for i in 1..=N {
        bounce(i);
    }
    let ns = t0.elapsed().as_nanos() as f64 / N as f64;
    echo.join().expect("line round-trip probe thread");
    ns
}

/// Adds per-iteration latencies recorded by a bench.
pub fn add_hist(group: &str, function: &str, hist: &Hist) {
    with_entry(group, function, |e| match &mut e.hist {
        Some(h) => h.merge(hist),
        None => {
            let mut h = Hist::new();
            h.merge(hist);
            e.hist = Some(h);
        }
    });
}

/// Records a measurement made outside criterion.
pub fn add_own(group: &str, function: &str, mean: Duration, hist: &Hist) {
    with_entry(group, function, |e| e.own_mean = Some(mean));
    add_hist(group, function, hist);
}

/// CPU time of the whole process (all threads, including exited ones).
#[cfg(target_os = "linux")]
pub fn process_cpu_time() -> Option<Duration> {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    unsafe extern "C" {
        fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
    }
    const CLOCK_PROCESS_CPUTIME_ID: i32 = 2;
    let mut ts = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `clock_gettime` is the libc function std already links; on 64-bit Linux
    // `struct timespec` is two `long`s, which `Timespec` mirrors with `repr(C)`, and the
    // pointer is valid for the duration of the call.
    let rc = unsafe { clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    (rc == 0 && cfg!(target_pointer_width = "64"))
        .then(|| Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}

#[cfg(not(target_os = "linux"))]
pub fn process_cpu_time() -> Option<Duration> {
    None
}

/// Where criterion writes (we set it explicitly so the summary can read it back).
pub fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(t) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(t).join("criterion");
    }
    // `cargo bench` runs benches in the package directory; the workspace target is one up.
    PathBuf::from("../target/criterion")
}

/// Whether criterion's FILTER argument (if any) selects `name`, so executors whose every
/// bench is filtered out are not even started. Criterion reads FILTER as a regex; this
/// understands the subset worth typing here: substrings, and alternatives `a|b`.
pub fn filter_allows(name: &str) -> bool {
    const WITH_VALUE: &[&str] = &[
        "--save-baseline",
        "-s",
        "--baseline",
        "-b",
        "--baseline-lenient",
        "--load-baseline",
        "--measurement-time",
        "--warm-up-time",
        "--sample-size",
        "--profile-time",
        "--color",
        "-c",
        "--output-format",
        "--plotting-backend",
        "--noise-threshold",
        "--confidence-level",
        "--significance-level",
        "--nresamples",
        "--format",
    ];
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if WITH_VALUE.contains(&a.as_str()) {
            args.next();
        } else if !a.starts_with('-') {
            return a.split('|').any(|alt| name.contains(alt));
        }
    }
    true
}

struct Estimate {
    mean: f64,
    lo: f64,
    hi: f64,
}

/// Reads `"mean": {"confidence_interval": {.., "lower_bound": L, "upper_bound": U}, "point_estimate": P`
/// from criterion's `estimates.json` without a JSON dependency.
fn read_estimate(dir: &Path, group: &str, function: &str) -> Option<Estimate> {
    let path = dir
        .join(group)
        .join(function)
        .join("new")
        .join("estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let mean = &text[text.find("\"mean\"")?..];
    let num = |key: &str| -> Option<f64> {
        let at = mean.find(key)? + key.len();
        let rest = mean[at..].trim_start_matches([':', ' ']);
        let end = rest.find([',', '}'])?;
        rest[..end].trim().parse().ok()
    };
    Some(Estimate {
        mean: num("\"point_estimate\"")?,
        lo: num("\"lower_bound\"")?,
        hi: num("\"upper_bound\"")?,
    })
}

/// Peers are every row except the event loop itself and the single-thread baselines.
fn is_peer(function: &str) -> bool {
    !function.starts_with("eventloop") && !function.ends_with("baseline")
}

fn rtt_median(e: &Entry) -> Option<f64> {
    let mut v = e.line_rtt.clone();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied()
}

/// Whether two rows ran in the same machine mode: median line round trips within 2x (the
/// two modes here are ~60 and ~390 ns). Rows without a probe match anything.
fn same_mode(a: &Entry, b: &Entry) -> bool {
    match (rtt_median(a), rtt_median(b)) {
        (Some(x), Some(y)) => x.max(y) < 2.0 * x.min(y),
        _ => true,
    }
}

fn fmt_ns(ns: f64) -> String {
    if ns >= 10_000.0 {
        format!("{:.1} us", ns / 1000.0)
    } else {
        format!("{ns:.1} ns")
    }
}

pub fn print_summary(alloc: &str, dir: &Path) {
    let reg = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    let mut out = String::new();
    let _ = writeln!(out, "\n## {alloc}: per-operation figures\n");
    let _ = writeln!(
        out,
        "| group | function | mean/op [95% CI] | vs best peer | CI overlap | p50 | p99 | CPU/op | CPU util | line RTT |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|");
    let groups: Vec<&String> = {
        let mut g: Vec<&String> = reg.order.iter().map(|(g, _)| g).collect();
        g.dedup();
        g
    };
    for group in groups {
        let rows: Vec<(&String, &Entry, Option<Estimate>)> = reg
            .order
            .iter()
            .filter(|(g, _)| g == group)
            .map(|key| {
                let e = &reg.entries[key];
                let est = read_estimate(dir, &key.0, &key.1).or_else(|| {
                    e.own_mean.map(|m| {
                        let ns = m.as_nanos() as f64;
                        Estimate {
                            mean: ns,
                            lo: ns,
                            hi: ns,
                        }
                    })
                });
                (&key.1, e, est)
            })
            .collect();
        // The best peer a row is compared with ran in the same machine mode (see
        // `line_rtt_ns`): comparing a row from one mode with a peer from the other would
        // measure the host, not the executors.
        let best_for = |row: &Entry| {
            rows.iter()
                .filter(|(f, e, est)| is_peer(f) && est.is_some() && same_mode(row, e))
                .map(|(f, _, est)| (f.as_str(), est.as_ref().expect("filtered")))
                .min_by(|a, b| a.1.mean.total_cmp(&b.1.mean))
        };
        for (function, e, est) in &rows {
            let best = best_for(e);
            let (mean, ratio, overlap) = match (est, best) {
                (Some(est), Some((best_name, b))) => (
                    format!(
                        "{} [{}, {}]",
                        fmt_ns(est.mean),
                        fmt_ns(est.lo),
                        fmt_ns(est.hi)
                    ),
                    if *function == best_name {
                        "best peer".to_owned()
                    } else {
                        format!("{:.2}x", est.mean / b.mean)
                    },
                    if *function == best_name {
                        "-".to_owned()
                    } else if est.hi < b.lo || est.lo > b.hi {
                        "no".to_owned()
                    } else {
                        "yes".to_owned()
                    },
                ),
                (Some(est), None) => (
                    format!(
                        "{} [{}, {}]",
                        fmt_ns(est.mean),
                        fmt_ns(est.lo),
                        fmt_ns(est.hi)
                    ),
                    "-".to_owned(),
                    "-".to_owned(),
                ),
                (None, _) => ("(no estimate)".to_owned(), "-".to_owned(), "-".to_owned()),
            };
            let q = |q: f64| match e.hist.as_ref().and_then(|h| h.quantile(q)) {
                Some(Some(ns)) => fmt_ns(ns as f64),
                Some(None) => format!(">{}", fmt_ns(HIST_MAX_NS as f64)),
                None => "-".to_owned(),
            };
            let (cpu_op, util) = match e.cpu {
                Some(cpu) if e.ops > 0 && !e.wall.is_zero() => (
                    fmt_ns(cpu.as_nanos() as f64 / e.ops as f64),
                    format!("{:.2}", cpu.as_secs_f64() / e.wall.as_secs_f64()),
                ),
                _ => ("-".to_owned(), "-".to_owned()),
            };
            let rtt = match rtt_median(e) {
                None => "-".to_owned(),
                Some(m) => {
                    let lo = e.line_rtt.iter().copied().fold(f64::INFINITY, f64::min);
                    let hi = e.line_rtt.iter().copied().fold(0.0, f64::max);
                    format!("{m:.0} ns [{lo:.0}, {hi:.0}]")
                }
            };
            let _ = writeln!(
                out,
                "| {group} | {function} | {mean} | {ratio} | {overlap} | {} | {} | {cpu_op} | {util} | {rtt} |",
                q(0.5),
                q(0.99)
            );
        }
    }
    let _ = writeln!(
        out,
        "\nCPU util = process CPU time / wall time over all samples (2.00 = both vCPUs busy).\n\
         line RTT = two threads bouncing one cache line, measured after each sample: median \
         [min, max] ns per round trip. It shows which of this machine's two modes a row ran \
         in; \"vs best peer\" compares only with peers whose median is within 2x of the \
         row's (\"-\": no peer ran in the same mode)."
    );
    println!("{out}");
    let _ = std::fs::create_dir_all(dir);
    let path = dir.join(format!("{alloc}-summary.md"));
    if std::fs::write(&path, &out).is_ok() {
        println!("summary written to {}", path.display());
    }
}
