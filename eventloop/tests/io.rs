//! I/O readiness through mio, and the switch between the user-space and poller wakeup
//! tiers at run time. Miri cannot run epoll through mio: these tests are skipped there.

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::Duration;

use common::{expect, scale, wait_asleep};
use eventloop::{Config, EventLoop, IoToken};
use mio::Interest;
use mio::net::UdpSocket;

fn udp() -> UdpSocket {
    UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap()
}

#[test]
#[cfg_attr(miri, ignore = "mio's poller is not supported by Miri")]
fn udp_readiness_runs_callbacks_on_the_loop() {
    const K: usize = 20;
    let sock = udp();
    let addr = sock.local_addr().unwrap();
    let got = Arc::new(Mutex::new(Vec::new()));
    let mut el = EventLoop::new().unwrap();
    let h = el.handle();
    let g = got.clone();
    h.submit(move |cx| {
        let sock = Rc::new(RefCell::new(sock));
        let token: Rc<RefCell<Option<IoToken>>> = Rc::default();
        let (s2, t2) = (sock.clone(), token.clone());
        let t = cx
            .register(
                &mut *sock.borrow_mut(),
                Interest::READABLE,
                move |cx, ev| {
                    assert!(ev.is_readable());
                    let mut buf = [0u8; 64];
                    loop {
                        let r = s2.borrow().recv_from(&mut buf);
                        match r {
                            Ok((n, _)) => g.lock().unwrap().push(buf[..n].to_vec()),
                            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                            Err(e) => panic!("recv: {e}"),
                        }
                    }
                    if g.lock().unwrap().len() == K {
                        let tok = t2.borrow_mut().take().unwrap();
                        cx.deregister(&mut *s2.borrow_mut(), tok).unwrap();
                        cx.handle().shutdown();
                    }
                },
            )
            .unwrap();
        *token.borrow_mut() = Some(t);
    })
    .unwrap();
    let sender = thread::spawn(move || {
        let out = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        for i in 0..K as u8 {
            out.send_to(&[i, i], addr).unwrap();
            // Let the loop go to sleep in the poller between datagrams.
            thread::sleep(Duration::from_millis(2));
        }
    });
    el.run().unwrap();
    sender.join().unwrap();
    let got = got.lock().unwrap();
    assert_eq!(got.len(), K);
    for (i, d) in got.iter().enumerate() {
        assert_eq!(d, &vec![i as u8, i as u8], "datagrams in order");
    }
    assert_eq!(h.stats().io_sources, 0);
}

thread_local! {
    /// A source registered by one submitted task and deregistered by a later one (tasks
    /// are `Send`, the loop-thread state they share lives here).
    static HELD: RefCell<Option<(UdpSocket, IoToken)>> = const { RefCell::new(None) };
}

#[test]
#[cfg_attr(miri, ignore = "mio's poller is not supported by Miri")]
fn sleeping_loop_is_woken_through_each_tier_as_sources_come_and_go() {
    let (h, join) = EventLoop::spawn(Config::default()).unwrap();
    let (tx, rx) = mpsc::channel::<&'static str>();
    let ack = |what: &'static str| {
        let tx = tx.clone();
        move |_: &mut eventloop::Cx| tx.send(what).unwrap()
    };

    // A source that never becomes ready: the loop now sleeps in the poller.
    let t = tx.clone();
    h.submit(move |cx| {
        let mut s = udp();
        let tok = cx.register(&mut s, Interest::READABLE, |_, _| {}).unwrap();
        HELD.with(|c| *c.borrow_mut() = Some((s, tok)));
        t.send("registered").unwrap();
    })
    .unwrap();
    assert_eq!(expect(&rx, "register"), "registered");
    wait_asleep(&h);
    let before = h.stats();
    assert_eq!(before.io_sources, 1);
    h.submit(ack("poll tier")).unwrap();
    assert_eq!(expect(&rx, "wake through the poller"), "poll tier");
    let mid = h.stats();
    assert!(
        mid.wakeups_poller > before.wakeups_poller,
        "{before:?} -> {mid:?}"
    );

    // The last source leaves: back to the user-space tier.
    let t = tx.clone();
    h.submit(move |cx| {
        let (mut s, tok) = HELD.with(|c| c.borrow_mut().take()).unwrap();
        cx.deregister(&mut s, tok).unwrap();
        t.send("deregistered").unwrap();
    })
    .unwrap();
    assert_eq!(expect(&rx, "deregister"), "deregistered");
    wait_asleep(&h);
    let before = h.stats();
    assert_eq!(before.io_sources, 0);
    h.submit(ack("park tier")).unwrap();
    assert_eq!(expect(&rx, "wake through unpark"), "park tier");
    let after = h.stats();
    assert!(
        after.wakeups_user_space > before.wakeups_user_space,
        "{before:?} -> {after:?}"
    );
    assert_eq!(after.wakeups_poller, before.wakeups_poller);
    h.shutdown();
    join.join().unwrap().unwrap();
}

#[test]
#[cfg_attr(miri, ignore = "mio's poller is not supported by Miri")]
fn tier_switch_under_load_loses_nothing() {
    const PRODUCERS: usize = 4;
    let per = scale(50_000, 10);
    let mut el = EventLoop::new().unwrap();
    let h = el.handle();
    let ran = Arc::new(AtomicUsize::new(0));
    let switches = Rc::new(RefCell::new(0usize));
    // Flip between tiers every millisecond: register a socket, then deregister it.
    let sw = switches.clone();
    let held: Rc<RefCell<Option<(UdpSocket, IoToken)>>> = Rc::default();
    el.cx().set_interval(Duration::from_millis(1), move |cx| {
        let mut held = held.borrow_mut();
        match held.take() {
            Some((mut s, tok)) => cx.deregister(&mut s, tok).unwrap(),
            None => {
                let mut s = udp();
                let tok = cx.register(&mut s, Interest::READABLE, |_, _| {}).unwrap();
                *held = Some((s, tok));
            }
        }
        *sw.borrow_mut() += 1;
    });
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|_| {
            let (h, ran) = (h.clone(), ran.clone());
            thread::spawn(move || {
                for i in 0..per {
                    let ran = ran.clone();
                    h.submit(move |_| {
                        ran.fetch_add(1, Ordering::Relaxed);
                    })
                    .unwrap();
                    if i % 2_000 == 0 {
                        // Pauses let the loop fall asleep in whichever tier it is in.
                        thread::sleep(Duration::from_micros(300));
                    }
                }
            })
        })
        .collect();
    let stopper = {
        let h = h.clone();
        thread::spawn(move || {
            for p in producers {
                p.join().unwrap();
            }
            h.shutdown();
        })
    };
    el.run().unwrap();
    stopper.join().unwrap();
    let s = h.stats();
    let total = PRODUCERS * per;
    assert_eq!(ran.load(Ordering::Relaxed), total);
    assert_eq!((s.submitted as usize, s.executed as usize), (total, total));
    assert!(*switches.borrow() >= 2, "the tier switched during the run");
    assert!(s.wakeups_user_space + s.wakeups_poller <= s.sleeps, "{s:?}");
}
