//! The interleaved driver: `loop_glibc --interleaved` / `loop_mimalloc --interleaved`.
//!
//! Criterion measures one executor for seconds, then the next. On a host whose
//! cross-thread latency flips between two modes over seconds to minutes, that compares
//! executors measured in different modes. This driver instead starts every executor once
//! and runs short rounds of each in turn (A B C ... A B C ...), one workload at a time: a
//! *cycle* is one round of every executor on one workload (~`EVLOOP_ROUND_MS` each), the
//! starting executor rotating from cycle to cycle so none always runs first after a probe.
//! Two threads bouncing one cache line (the *line RTT probe*) run before and after every
//! cycle. The run's probes are grouped into the host's spells (see [`Spells`]: `fast` and
//! `slow` when there are two, `vfast`, `fast` and `slow` when three); a cycle whose two
//! probes lie in one spell gets its name, otherwise it is `mixed`. Every cycle gives one
//! ratio, event loop / best peer *of that cycle*, so a ratio never mixes modes, and the
//! ratio table reports those ratios per mode with their spread; the pairwise table gives
//! the ratio to each peer on its own.
//!
//! Rows: `round_trip` (spinning waiter), `parked` (the waiter of
//! [`round_trip::wait_parked`]: spin up to [`WAIT_SPIN`], then park), `parked_at_once`
//! (diagnostic: park with no spin first), `submit_pN` (N producers, as the criterion
//! group), `wakeup` (1 ms pause so every consumer is asleep, then one spinning round trip).
//!
//! Settings (environment): `EVLOOP_ROUNDS` cycles per row (default 30), `EVLOOP_ROUND_MS`
//! per executor round (default 10), `EVLOOP_WAKEUPS` wakeups per round (default 8),
//! `EVLOOP_ROWS` row filter (substrings, `a|b`), `EVLOOP_RUN` a label for the tables.
//! Raw per-round lines start with `raw\t`; the tables are Markdown rows starting with `| `.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::peers::Peer;
use super::report::{Hist, SparseHist, process_cpu_time};
use super::round_trip::{self, WAIT_SPIN, Wake};
use super::throughput::{self, Counters, PRODUCERS, Pool};

/// Whether the command line asks for the interleaved driver instead of criterion.
pub fn requested() -> bool {
    std::env::args().skip(1).any(|a| a == "--interleaved")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Work {
    RoundTrip,
    Parked,
    ParkedAtOnce,
    Submit(usize),
    Wakeup,
}

impl Work {
    fn all() -> Vec<Work> {
        let mut v = vec![Work::RoundTrip, Work::Parked, Work::ParkedAtOnce];
        v.extend(PRODUCERS.iter().map(|&p| Work::Submit(p)));
        v.push(Work::Wakeup);
        v
    }

    fn name(self) -> String {
        match self {
            Work::RoundTrip => "round_trip".into(),
            Work::Parked => "parked".into(),
            Work::ParkedAtOnce => "parked_at_once".into(),
            Work::Submit(p) => format!("submit_p{p}"),
            Work::Wakeup => "wakeup".into(),
        }
    }

    /// Rows timed per operation (with p50/p99), as opposed to throughput rows.
    fn per_op_latency(self) -> bool {
        !matches!(self, Work::Submit(_))
    }
}

/// A cycle's mode: the index of the host spell both its probes fall in (0 = fastest), or
/// [`MIXED`].
type Mode = usize;
const MIXED: Mode = usize::MAX;

/// Two consecutive probes (sorted) this far apart, as a ratio, separate two spells.
const SPELL_GAP: f64 = 1.3;

/// The host's spells in one run, found from the run's own probes, so that no threshold
/// fixed in advance can cut through a spell. This host's line round trip has sat at ~35,
/// ~45-70, ~105-220 and ~340-410 ns on different days, two of them in one run.
/// The sorted probes are split wherever one is [`SPELL_GAP`] times the previous. A group
/// of fewer than a hundredth of the probes (at least [`MIN_SPELL_PROBES`]) is no spell but
/// odd probes (a preemption, or a spell too brief to tell), and a cycle with such a probe
/// is `mixed`. (Merging small groups into a neighbour instead put cycles whose probes
/// read ~37 ns into a ~110-200 ns spell.)
struct Spells {
    /// (lowest probe, highest probe, probes) per spell, fastest first.
    groups: Vec<(f64, f64, usize)>,
}

/// The fewest probes that make a spell, however few the run has.
const MIN_SPELL_PROBES: usize = 3;

impl Spells {
    fn find(probes: &[f64]) -> Spells {
        let mut v: Vec<f64> = probes.iter().copied().filter(|x| x.is_finite()).collect();
        v.sort_by(f64::total_cmp);
        let mut groups: Vec<(f64, f64, usize)> = Vec::new();
        for &x in &v {
            match groups.last_mut() {
                Some(g) if x < g.1 * SPELL_GAP => {
                    g.1 = x;
                    g.2 += 1;
                }
                _ => groups.push((x, x, 1)),
            }
        }
        let min = (v.len() / 100).max(MIN_SPELL_PROBES);
        groups.retain(|g| g.2 >= min);
        Spells { groups }
    }

    /// The spell of one probe, or `None` for an odd one.
    fn of(&self, x: f64) -> Option<usize> {
        self.groups
            .iter()
            .position(|&(lo, hi, _)| lo <= x && x <= hi)
    }

    /// The probes in no spell.
    fn odd(&self, total: usize) -> usize {
        total - self.groups.iter().map(|g| g.2).sum::<usize>()
    }

    fn mode(&self, before: f64, after: f64) -> Mode {
        match (self.of(before), self.of(after)) {
            (Some(a), Some(b)) if a == b => a,
            _ => MIXED,
        }
    }

    /// Every mode, fastest spell first, then `MIXED`.
    fn all(&self) -> impl Iterator<Item = Mode> {
        (0..self.groups.len()).chain(std::iter::once(MIXED))
    }

    /// `fast`/`slow` when there are two spells, `vfast`/`fast`/`slow` for three, `steady`
    /// for one, `spell1`... otherwise; always `mixed` for [`MIXED`].
    fn name(&self, m: Mode) -> String {
        if m == MIXED {
            return "mixed".into();
        }
        let named: &[&str] = match self.groups.len() {
            1 => &["steady"],
            2 => &["fast", "slow"],
            3 => &["vfast", "fast", "slow"],
            _ => &[],
        };
        named
            .get(m)
            .map_or_else(|| format!("spell{}", m + 1), |s| (*s).to_string())
    }
}

/// The line RTT probe: 20 chunks of 100 round trips of one cache line between this thread
/// and a helper; the median chunk's ns per round trip, so a preemption inside one chunk
/// does not move it.
fn line_rtt_ns() -> f64 {
    #[repr(align(128))]
    struct Line(AtomicU64);
    const CHUNKS: u64 = 20;
    const PER: u64 = 100;
    const N: u64 = CHUNKS * PER;
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
    // The first round trip waits for the helper to start: not timed.
    bounce(0);
    let mut chunks = Vec::with_capacity(CHUNKS as usize);
    for c in 0..CHUNKS {
        let t0 = Instant::now();
        for i in 1..=PER {
            bounce(c * PER + i);
        }
        chunks.push(t0.elapsed().as_nanos() as f64 / PER as f64);
    }
    echo.join().expect("line round-trip probe thread");
    chunks.sort_by(f64::total_cmp);
    chunks[chunks.len() / 2]
}

struct Settings {
    rounds: u32,
    round: Duration,
    wakeups: u32,
    rows: Option<String>,
    run: String,
}

fn env_num(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => match v.trim().parse() {
            Ok(n) => n,
            Err(_) => {
                eprintln!("{name}={v:?} is not a number; using {default}");
                default
            }
        },
        Err(_) => default,
    }
}

impl Settings {
    fn from_env() -> Settings {
        Settings {
            rounds: env_num("EVLOOP_ROUNDS", 30).clamp(1, 10_000) as u32,
            round: Duration::from_millis(env_num("EVLOOP_ROUND_MS", 10).clamp(1, 10_000)),
            wakeups: env_num("EVLOOP_WAKEUPS", 8).clamp(1, 10_000) as u32,
            rows: std::env::var("EVLOOP_ROWS").ok().filter(|s| !s.is_empty()),
            run: std::env::var("EVLOOP_RUN").unwrap_or_else(|_| "-".into()),
        }
    }

    fn wants(&self, w: Work) -> bool {
        match &self.rows {
            None => true,
            Some(f) => f.split('|').any(|alt| w.name().contains(alt)),
        }
    }
}

/// One executor behind a uniform, object-safe face.
trait Exec {
    fn name(&self) -> &'static str;
    fn is_peer(&self) -> bool;
    /// Whether this executor takes part in `work` (the sharded loops: not the wakeup).
    fn runs(&self, work: Work) -> bool;
    /// Runs one round of `work` (about `budget` long) and returns (operations, the time
    /// they took), recording per-operation latencies into `hist` where the row has them.
    fn round(
        &mut self,
        work: Work,
        budget: Duration,
        wakeups: u32,
        hist: &mut Hist,
    ) -> (u64, Duration);
    fn sleeps(&self) -> Option<u64>;
    fn stop(self: Box<Self>);
}

struct Of<P: Peer> {
    peer: Option<P>,
    /// Dropped before the peer stops: channel peers stop when their last sender goes.
    s: Option<P::S>,
    flag: &'static AtomicBool,
    wake: &'static Wake,
    ctr: &'static Counters,
    pools: BTreeMap<usize, Pool>,
    /// ns per submitted task, per producer count: sizes the next submit round.
    est_ns: BTreeMap<usize, f64>,
}

impl<P: Peer + 'static> Of<P> {
    fn start() -> Self {
        let peer = P::start();
        let s = peer.submitter();
        Self {
            peer: Some(peer),
            s: Some(s),
            flag: Box::leak(Box::new(AtomicBool::new(false))),
            wake: Wake::leak(),
            ctr: Counters::leak(),
            pools: BTreeMap::new(),
            est_ns: BTreeMap::new(),
        }
    }

    fn timed_ops(
        budget: Duration,
        hist: &mut Hist,
        mut op: impl FnMut() -> Duration,
    ) -> (u64, Duration) {
        let t0 = Instant::now();
        let mut ops = 0u64;
        let mut sum = Duration::ZERO;
        while t0.elapsed() < budget {
            for _ in 0..16 {
                let d = op();
                hist.record(d);
                sum += d;
                ops += 1;
            }
        }
        (ops, sum)
    }
}

impl<P: Peer + 'static> Exec for Of<P> {
    fn name(&self) -> &'static str {
        P::NAME
    }

    fn is_peer(&self) -> bool {
        !P::NAME.starts_with("eventloop")
    }

    fn runs(&self, work: Work) -> bool {
        // The sharded loops differ from the default only in their submit queue: every
        // row but the wakeup (the sleeping loop's wake path is the same).
        !P::NAME.ends_with("shards") || work != Work::Wakeup
    }

    fn round(
        &mut self,
        work: Work,
        budget: Duration,
        wakeups: u32,
        hist: &mut Hist,
    ) -> (u64, Duration) {
        let s = self.s.as_ref().expect("running");
        match work {
            Work::RoundTrip => {
                let flag = self.flag;
                Self::timed_ops(budget, hist, || round_trip::spinning_once(s, flag))
            }
            Work::Parked => {
                let wake = self.wake;
                Self::timed_ops(budget, hist, || round_trip::parked_once(s, wake, WAIT_SPIN))
            }
            Work::ParkedAtOnce => {
                let wake = self.wake;
                Self::timed_ops(budget, hist, || {
                    round_trip::parked_once(s, wake, Duration::ZERO)
                })
            }
            Work::Wakeup => {
                let mut sum = Duration::ZERO;
                for _ in 0..wakeups {
                    std::thread::sleep(Duration::from_millis(1));
                    let d = round_trip::spinning_once(s, self.flag);
                    hist.record(d);
                    sum += d;
                }
                (u64::from(wakeups), sum)
            }
            Work::Submit(p) => {
                let peer = self.peer.as_ref().expect("running");
                let ctr = self.ctr;
                let pool = self
                    .pools
                    .entry(p)
                    .or_insert_with(|| Pool::new((1..p).map(|_| peer.submitter()).collect(), ctr));
                let iters = match self.est_ns.get(&p) {
                    Some(&ns) => {
                        ((budget.as_nanos() as f64 / ns.max(1.0)) as u64).clamp(1_000, 4_000_000)
                    }
                    None => 5_000,
                };
                let d = throughput::submit_round(s, pool, ctr, p, iters);
                self.est_ns.insert(p, d.as_nanos() as f64 / iters as f64);
                (iters, d)
            }
        }
    }

    fn sleeps(&self) -> Option<u64> {
        self.peer.as_ref().and_then(Peer::sleeps)
    }

    fn stop(mut self: Box<Self>) {
        for (_, pool) in std::mem::take(&mut self.pools) {
            pool.quit();
        }
        drop(self.s.take());
        if let Some(peer) = self.peer.take() {
            if let Some(d) = peer.describe() {
                println!("{}: {d}", P::NAME);
            }
            peer.stop();
        }
    }
}

fn push<P: Peer + 'static>(v: &mut Vec<Box<dyn Exec>>) {
    v.push(Box::new(Of::<P>::start()));
}

/// One executor's round within a cycle.
#[derive(Clone, Copy)]
struct Sample {
    ops: u64,
    ns_per_op: f64,
    cpu_per_op: Option<f64>,
    sleeps_per_op: Option<f64>,
}

struct Cycle {
    work: Work,
    round: u32,
    /// The line RTT probes before and after, ns.
    before: f64,
    after: f64,
    /// Set once the run's spells are known.
    mode: Mode,
    /// Indexed like the executors.
    samples: Vec<Sample>,
    /// Per-operation latencies of each executor's round (per-op rows only).
    hists: Vec<Option<SparseHist>>,
}

impl Cycle {
    /// The mean of the two probes, ns.
    fn probe(&self) -> f64 {
        (self.before + self.after) / 2.0
    }
}

pub fn run(alloc: &str) {
    let set = Settings::from_env();
    let works: Vec<Work> = Work::all().into_iter().filter(|&w| set.wants(w)).collect();
    let mut execs: Vec<Box<dyn Exec>> = Vec::new();
    for_each_executor!(push, &mut execs);
    push::<super::el::EventLoopSharded<2>>(&mut execs);
    push::<super::el::EventLoopSharded<4>>(&mut execs);
    let n = execs.len();
    println!(
        "interleaved driver: allocator {alloc}, run {}, {} cycles per row, {} ms per round, {} wakeups per round, parked waiter spins {} us",
        set.run,
        set.rounds,
        set.round.as_millis(),
        set.wakeups,
        WAIT_SPIN.as_micros()
    );
    let mut scratch = Hist::new();
    // Warm-up: one round of everything, discarded (it also sizes the submit rounds).
    for &w in &works {
        for e in execs.iter_mut().filter(|e| e.runs(w)) {
            scratch.clear();
            e.round(w, set.round / 2, 1, &mut scratch);
        }
    }
    let mut cycles: Vec<Cycle> = Vec::new();
    let started = Instant::now();
    for r in 0..set.rounds {
        for &w in &works {
            let before = line_rtt_ns();
            let mut samples = vec![
                Sample {
                    ops: 0,
                    ns_per_op: f64::NAN,
                    cpu_per_op: None,
                    sleeps_per_op: None
                };
                n
            ];
            let mut round_hists: Vec<Option<SparseHist>> = (0..n).map(|_| None).collect();
            for k in 0..n {
                let i = (k + r as usize) % n;
                let e = &mut execs[i];
                if !e.runs(w) {
                    continue;
                }
                scratch.clear();
                let sleeps0 = e.sleeps();
                let cpu0 = process_cpu_time();
                let (ops, took) = e.round(w, set.round, set.wakeups, &mut scratch);
                let cpu = match (cpu0, process_cpu_time()) {
                    (Some(a), Some(b)) => Some(b.saturating_sub(a).as_nanos() as f64 / ops as f64),
                    _ => None,
                };
                let sleeps = match (sleeps0, e.sleeps()) {
                    (Some(a), Some(b)) => Some(b.saturating_sub(a) as f64 / ops as f64),
                    _ => None,
                };
                samples[i] = Sample {
                    ops,
                    ns_per_op: took.as_nanos() as f64 / ops as f64,
                    cpu_per_op: cpu,
                    sleeps_per_op: sleeps,
                };
                if w.per_op_latency() {
                    round_hists[i] = Some(scratch.sparse());
                }
            }
            let after = line_rtt_ns();
            cycles.push(Cycle {
                work: w,
                round: r,
                before,
                after,
                mode: MIXED,
                samples,
                hists: round_hists,
            });
        }
    }
    let elapsed = started.elapsed();
    let names: Vec<&'static str> = execs.iter().map(|e| e.name()).collect();
    let peers: Vec<usize> = (0..n).filter(|&i| execs[i].is_peer()).collect();
    let candidates: Vec<usize> = (0..n).filter(|&i| !execs[i].is_peer()).collect();
    for e in execs {
        e.stop();
    }
    let probes: Vec<f64> = cycles.iter().flat_map(|c| [c.before, c.after]).collect();
    let spells = Spells::find(&probes);
    for c in &mut cycles {
        c.mode = spells.mode(c.before, c.after);
    }
    println!(
        "raw\talloc\trun\tcycle\trow\tmode\tprobe_before_ns\tprobe_after_ns\texecutor\tops\tns_per_op\tcpu_ns_per_op\tsleeps_per_op"
    );
    for c in &cycles {
        for (i, s) in c.samples.iter().enumerate() {
            if s.ops == 0 {
                continue;
            }
            println!(
                "raw\t{alloc}\t{}\t{}\t{}\t{}\t{:.0}\t{:.0}\t{}\t{}\t{:.1}\t{}\t{}",
                set.run,
                c.round,
                c.work.name(),
                spells.name(c.mode),
                c.before,
                c.after,
                names[i],
                s.ops,
                s.ns_per_op,
                s.cpu_per_op.map_or("-".into(), |c| format!("{c:.1}")),
                s.sleeps_per_op.map_or("-".into(), |c| format!("{c:.4}")),
            );
        }
    }
    let mut hists: BTreeMap<(Work, Mode, usize), Hist> = BTreeMap::new();
    for c in &cycles {
        for (i, h) in c.hists.iter().enumerate() {
            if let Some(h) = h {
                hists
                    .entry((c.work, c.mode, i))
                    .or_insert_with(Hist::new)
                    .merge_sparse(h);
            }
        }
    }
    println!("\nmeasured for {:.1} s\n", elapsed.as_secs_f64());
    println!(
        "spells (line RTT probe, from this run's {} probes):",
        probes.len()
    );
    for (m, &(lo, hi, k)) in spells.groups.iter().enumerate() {
        println!("  {}: {lo:.0}-{hi:.0} ns, {k} probes", spells.name(m));
    }
    println!(
        "  odd probes (in no spell; their cycles count as mixed): {}",
        spells.odd(probes.len())
    );
    println!();
    print_tables(
        alloc,
        &set,
        &spells,
        &works,
        &cycles,
        &hists,
        &names,
        &candidates,
        &peers,
    );
}

/// The cycles of each row and mode that has any, rows in order, modes fastest first.
fn by_row_and_mode<'c>(
    works: &[Work],
    spells: &Spells,
    cycles: &'c [Cycle],
) -> Vec<(Work, Mode, Vec<&'c Cycle>)> {
    let mut out = Vec::new();
    for &w in works {
        for mode in spells.all() {
            let cs: Vec<&Cycle> = cycles
                .iter()
                .filter(|c| c.work == w && c.mode == mode)
                .collect();
            if !cs.is_empty() {
                out.push((w, mode, cs));
            }
        }
    }
    out
}

/// The value at quantile `q` (nearest rank) of `v`, which must be sorted.
fn q(v: &[f64], q: f64) -> f64 {
    let i = ((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1;
    v[i]
}

/// "median [p10, p90]" of `v`, or "-" when empty.
fn spread(v: &mut Vec<f64>, unit: impl Fn(f64) -> String) -> String {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return "-".into();
    }
    v.sort_by(f64::total_cmp);
    format!(
        "{} [{}, {}]",
        unit(q(v, 0.5)),
        unit(q(v, 0.1)),
        unit(q(v, 0.9))
    )
}

fn ns(x: f64) -> String {
    if x >= 10_000.0 {
        format!("{:.1} us", x / 1000.0)
    } else {
        format!("{x:.1}")
    }
}

fn ratio(x: f64) -> String {
    format!("{x:.2}")
}

#[allow(clippy::too_many_arguments)]
fn print_tables(
    alloc: &str,
    set: &Settings,
    spells: &Spells,
    works: &[Work],
    cycles: &[Cycle],
    hists: &BTreeMap<(Work, Mode, usize), Hist>,
    names: &[&str],
    candidates: &[usize],
    peers: &[usize],
) {
    println!("### Ratio table ({alloc}, run {})\n", set.run);
    println!(
        "| alloc | run | row | mode | cycles | executor | ns/op | best peer | its ns/op | ratio per cycle | ahead | >= 2x |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    let mut detail = Vec::new();
    for (w, mode, cs) in by_row_and_mode(works, spells, cycles) {
        let col = |i: usize| -> Vec<f64> { cs.iter().map(|c| c.samples[i].ns_per_op).collect() };
        let median = |i: usize| {
            let mut v = col(i);
            v.retain(|x| x.is_finite());
            v.sort_by(f64::total_cmp);
            if v.is_empty() {
                f64::INFINITY
            } else {
                q(&v, 0.5)
            }
        };
        let best = *peers
            .iter()
            .min_by(|&&a, &&b| median(a).total_cmp(&median(b)))
            .expect("at least one peer");
        for &el in candidates {
            let mut ratios: Vec<f64> = cs
                .iter()
                .map(|c| {
                    let b = peers
                        .iter()
                        .map(|&p| c.samples[p].ns_per_op)
                        .fold(f64::INFINITY, f64::min);
                    c.samples[el].ns_per_op / b
                })
                .filter(|r| r.is_finite())
                .collect();
            if ratios.is_empty() {
                continue;
            }
            let ahead = ratios.iter().filter(|&&r| r < 1.0).count();
            let twice = ratios.iter().filter(|&&r| r <= 0.5).count();
            let k = ratios.len();
            println!(
                "| {alloc} | {} | {} | {} | {k} | {} | {} | {} | {} | {} | {ahead}/{k} | {twice}/{k} |",
                set.run,
                w.name(),
                spells.name(mode),
                names[el],
                spread(&mut col(el), ns),
                names[best],
                spread(&mut col(best), ns),
                spread(&mut ratios, ratio),
            );
        }
        for (i, name) in names.iter().enumerate() {
            if cs.iter().all(|c| c.samples[i].ops == 0) {
                continue;
            }
            let (p50, p99) = match hists.get(&(w, mode, i)) {
                Some(h) => {
                    let f = |x: f64| match h.quantile(x) {
                        Some(Some(v)) => ns(v as f64),
                        Some(None) => ">200 us".into(),
                        None => "-".into(),
                    };
                    (f(0.5), f(0.99))
                }
                None => ("-".into(), "-".into()),
            };
            let mut cpu: Vec<f64> = cs.iter().filter_map(|c| c.samples[i].cpu_per_op).collect();
            let mut sl: Vec<f64> = cs
                .iter()
                .filter_map(|c| c.samples[i].sleeps_per_op)
                .collect();
            detail.push(format!(
                "| {alloc} | {} | {} | {} | {name} | {} | {p50} | {p99} | {} | {} |",
                set.run,
                w.name(),
                spells.name(mode),
                spread(&mut col(i), ns),
                spread(&mut cpu, ns),
                spread(&mut sl, |x| format!("{x:.3}")),
            ));
        }
    }
    println!(
        "\nns/op: median [p10, p90] over the cycles of that mode (one round per cycle). ratio per cycle: \
         eventloop / fastest peer of the same cycle, median [p10, p90]; ahead: cycles with ratio < 1; \
         >= 2x: cycles with ratio <= 0.5. Modes: the host spells found from this run's line RTT \
         probes (listed above the table); a cycle whose probes before and after lie in one \
         spell gets its name, else mixed (also when a probe is odd, in no spell).\n"
    );
    print_pairwise(alloc, set, spells, works, cycles, names, candidates, peers);
    println!("### Per executor ({alloc}, run {})\n", set.run);
    println!("| alloc | run | row | mode | executor | ns/op | p50 | p99 | CPU ns/op | sleeps/op |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for line in detail {
        println!("{line}");
    }
    println!(
        "\np50/p99: every operation of the rows timed per operation (1 ns buckets up to 200 us). \
         CPU ns/op: process CPU time (all threads) over the round / operations. sleeps/op: \
         the event loop's own count of declared sleeps."
    );
}

/// Each candidate against each peer on its own: per cycle, candidate / that peer. The
/// ratio table's denominator is the fastest of all peers in each cycle, a minimum that
/// favours the peers on rows where every figure is the host's (the wakeup); this table
/// shows the comparison a user choosing between two executors makes.
#[allow(clippy::too_many_arguments)]
fn print_pairwise(
    alloc: &str,
    set: &Settings,
    spells: &Spells,
    works: &[Work],
    cycles: &[Cycle],
    names: &[&str],
    candidates: &[usize],
    peers: &[usize],
) {
    println!("### Pairwise ({alloc}, run {})\n", set.run);
    let mut head = String::from("| alloc | run | row | mode | cycles | probe ns | executor |");
    let mut rule = String::from("|---|---|---|---|---|---|---|");
    for &p in peers {
        head.push_str(&format!(" vs {} |", names[p]));
        rule.push_str("---|");
    }
    println!("{head}\n{rule}");
    for (w, mode, cs) in by_row_and_mode(works, spells, cycles) {
        let mut probes: Vec<f64> = cs.iter().map(|c| c.probe()).collect();
        let probe = spread(&mut probes, |x| format!("{x:.0}"));
        for &el in candidates {
            if cs.iter().all(|c| c.samples[el].ops == 0) {
                continue;
            }
            let mut line = format!(
                "| {alloc} | {} | {} | {} | {} | {probe} | {} |",
                set.run,
                w.name(),
                spells.name(mode),
                cs.len(),
                names[el]
            );
            for &p in peers {
                let mut r: Vec<f64> = cs
                    .iter()
                    .map(|c| c.samples[el].ns_per_op / c.samples[p].ns_per_op)
                    .filter(|r| r.is_finite())
                    .collect();
                let ahead = r.iter().filter(|&&x| x < 1.0).count();
                let k = r.len();
                if k == 0 {
                    line.push_str(" - |");
                } else {
                    line.push_str(&format!(" {} {ahead}/{k} |", spread(&mut r, ratio)));
                }
            }
            println!("{line}");
        }
    }
    println!(
        "\nprobe ns: the cycles' line RTT probe (mean of before and after), median [p10, p90]. \
         vs P: executor / P in the same cycle, median [p10, p90], then the cycles with ratio < 1.\n"
    );
}
