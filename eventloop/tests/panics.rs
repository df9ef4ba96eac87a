//! A panicking task, microtask, timer or interval is caught and counted; the loop goes on.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use eventloop::EventLoop;

#[test]
fn panics_are_caught_counted_and_the_loop_keeps_running() {
    // Keep the expected panics out of the test output.
    std::panic::set_hook(Box::new(|_| {}));
    let mut el = EventLoop::new().unwrap();
    let h = el.handle();
    let ok = Arc::new(AtomicUsize::new(0));
    for i in 0..10 {
        let ok = ok.clone();
        h.submit(move |cx| {
            if i % 3 == 0 {
                panic!("task {i} fails");
            }
            ok.fetch_add(1, Ordering::Relaxed);
            if i == 4 {
                cx.queue_microtask(|_| panic!("microtask fails"));
                cx.set_timeout(Duration::from_millis(1), |_| panic!("timer fails"));
                let ok = ok.clone();
                let mut n = 0;
                cx.set_interval(Duration::from_millis(1), move |cx| {
                    n += 1;
                    if n == 2 {
                        ok.fetch_add(100, Ordering::Relaxed);
                        cx.handle().shutdown();
                    } else {
                        panic!("interval fails once");
                    }
                });
            }
        })
        .unwrap();
    }
    el.run().unwrap();
    let _ = std::panic::take_hook();
    let s = h.stats();
    assert_eq!(s.executed, 10, "panicking tasks still count as executed");
    // tasks 0, 3, 6, 9 + microtask + timer + first interval run.
    assert_eq!(s.panics, 7, "{s:?}");
    assert_eq!(
        ok.load(Ordering::Relaxed),
        6 + 100,
        "the interval survived its panic"
    );
}
