//! Submit throughput: P producers (1, 2, 4, 10) together submit `iters` small closures
//! (a counter increment, 8 bytes of capture) and the sample ends when the consumer has run
//! all of them. The bench thread is producer 0; the others are long-lived threads started
//! once per executor, so thread creation is not in the timing. Also bursts: one producer
//! submits 64 closures, waits until they ran, repeats.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput};

use super::peers::{Peer, Submitter};
use super::report;

pub const PRODUCERS: [usize; 4] = [1, 2, 4, 10];
const BURST: u64 = 64;

pub fn bench(c: &mut Criterion, alloc: &str) {
    for p in PRODUCERS {
        let group = format!("{alloc}_submit_p{p}");
        let mut g = c.benchmark_group(&group);
        g.throughput(Throughput::Elements(1));
        for_each_executor!(producers, &mut g, &group, p);
        producers::<super::el::EventLoopSharded<2>>(&mut g, &group, p);
        producers::<super::el::EventLoopSharded<4>>(&mut g, &group, p);
        g.finish();
    }
    let group = format!("{alloc}_burst{BURST}");
    let mut g = c.benchmark_group(&group);
    g.throughput(Throughput::Elements(1));
    for_each_executor!(burst, &mut g, &group);
    g.finish();
}

/// Written only by the consumer thread (one per executor), read by the bench thread.
#[repr(align(128))]
pub struct Counters {
    executed: AtomicU64,
    _pad: [u8; 120],
    done: AtomicU64,
}

impl Counters {
    pub fn leak() -> &'static Counters {
        Box::leak(Box::new(Counters {
            executed: AtomicU64::new(0),
            _pad: [0; 120],
            done: AtomicU64::new(0),
        }))
    }
}

/// Spin, then yield (never sleep): with 10 producers on 2 vCPUs a pure spin would steal
/// the core the consumer needs.
pub fn spin_until(mut ready: impl FnMut() -> bool) {
    let mut n = 0u32;
    while !ready() {
        if n < 128 {
            std::hint::spin_loop();
            n += 1;
        } else {
            std::thread::yield_now();
        }
    }
}

/// One producer's share: `n` increments, then a done marker. Every executor runs one
/// producer's closures in submission order, so the marker runs after the increments.
#[inline]
fn run_share<S: Submitter>(s: &S, ctr: &'static Counters, n: u64) {
    for _ in 0..n {
        s.submit(move || {
            // Single consumer: a plain load + store is enough (and cheaper than an RMW).
            let v = ctr.executed.load(Ordering::Relaxed);
            ctr.executed.store(v + 1, Ordering::Relaxed);
        });
    }
    // Release pairs with the Acquire load of `done` in `measure`.
    s.submit(move || {
        ctr.done.fetch_add(1, Ordering::Release);
    });
}

struct Job {
    generation: u64,
    share: u64,
    quit: bool,
}

pub struct Pool {
    job: Arc<(Mutex<Job>, Condvar)>,
    threads: Vec<JoinHandle<()>>,
}

impl Pool {
    pub fn new<S: Submitter>(subs: Vec<S>, ctr: &'static Counters) -> Pool {
        let job = Arc::new((
            Mutex::new(Job {
                generation: 0,
                share: 0,
                quit: false,
            }),
            Condvar::new(),
        ));
        let threads = subs
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                let job = Arc::clone(&job);
                std::thread::Builder::new()
                    .name(format!("producer-{}", i + 1))
                    .spawn(move || {
                        let mut seen = 0;
                        loop {
                            let share = {
                                let mut j = job.0.lock().expect("pool lock");
                                while j.generation == seen && !j.quit {
                                    j = job.1.wait(j).expect("pool lock");
                                }
                                if j.quit {
                                    return;
                                }
                                seen = j.generation;
                                j.share
                            };
                            run_share(&s, ctr, share);
                        }
                    })
                    .expect("spawn producer")
            })
            .collect();
        Pool { job, threads }
    }

    fn start(&self, share: u64) {
        let mut j = self.job.0.lock().expect("pool lock");
        j.generation += 1;
        j.share = share;
        self.job.1.notify_all();
    }

    pub fn quit(self) {
        self.job.0.lock().expect("pool lock").quit = true;
        self.job.1.notify_all();
        for t in self.threads {
            t.join().expect("producer thread");
        }
    }
}

/// One measured round of `iters` submits shared by `p` producers (the calling thread and
/// the `p - 1` threads of `pool`), timed until the consumer has run them all.
pub fn submit_round<S: Submitter>(
    main: &S,
    pool: &Pool,
    ctr: &'static Counters,
    p: usize,
    iters: u64,
) -> std::time::Duration {
    let p64 = p as u64;
    ctr.executed.store(0, Ordering::Relaxed);
    ctr.done.store(0, Ordering::Relaxed);
    let share = iters / p64;
    let own = iters - share * (p64 - 1);
    let t0 = Instant::now();
    if p > 1 {
        pool.start(share);
    }
    run_share(main, ctr, own);
    // Acquire pairs with the Release increment of the done markers.
    spin_until(|| ctr.done.load(Ordering::Acquire) == p64);
    spin_until(|| ctr.executed.load(Ordering::Relaxed) == iters);
    t0.elapsed()
}

fn producers<P: Peer>(g: &mut BenchmarkGroup<'_, WallTime>, group: &str, p: usize) {
    if !report::filter_allows(&format!("{group}/{}", P::NAME)) {
        return;
    }
    let peer = P::start();
    let main = peer.submitter();
    let ctr = Counters::leak();
    let pool = Pool::new((1..p).map(|_| peer.submitter()).collect(), ctr);
    g.bench_function(P::NAME, |b| {
        b.iter_custom(|iters| {
            report::sample(group, P::NAME, iters, || {
                submit_round(&main, &pool, ctr, p, iters)
            })
        })
    });
    pool.quit();
    if let Some(d) = peer.describe() {
        println!("{group}/{}: {d}", P::NAME);
    }
    drop(main);
    peer.stop();
}

fn burst<P: Peer>(g: &mut BenchmarkGroup<'_, WallTime>, group: &str) {
    if !report::filter_allows(&format!("{group}/{}", P::NAME)) {
        return;
    }
    let peer = P::start();
    let s = peer.submitter();
    let ctr = Counters::leak();
    g.bench_function(P::NAME, |b| {
        b.iter_custom(|iters| {
            report::sample(group, P::NAME, iters, || {
                ctr.executed.store(0, Ordering::Relaxed);
                ctr.done.store(0, Ordering::Relaxed);
                let rounds = iters.div_ceil(BURST);
                let t0 = Instant::now();
                for r in 1..=rounds {
                    run_share(&s, ctr, BURST);
                    spin_until(|| ctr.done.load(Ordering::Acquire) == r);
                }
                let elapsed = t0.elapsed();
                // Report per submitted closure, which can be a few more than `iters`.
                elapsed.mul_f64(iters as f64 / (rounds * BURST) as f64)
            })
        })
    });
    if let Some(d) = peer.describe() {
        println!("{group}/{}: {d}", P::NAME);
    }
    drop(s);
    peer.stop();
}
