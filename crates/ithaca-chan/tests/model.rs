//! Model-based property tests of the channel's semantics.
//!
//! **Sequential**: a reference model — a FIFO buffer, a closed flag, a capacity and the
//! number of live handles of each side — and random sequences of operations from one thread
//! (`try_send`, `try_recv`, `close` from either side, `len`, clone/drop of handles with
//! drop-close, zero timeouts, async `send`/`recv` polled once then dropped, a parked receiver
//! or sender completed by a peer or by close, and a `select` with `default`). The channel
//! must agree with the model exactly, and nobody may be left waiting after each step.
//!
//! **Concurrent**: random producers and consumers on threads and tokio tasks (blocking,
//! non-blocking, timeouts, selects, futures cancelled from outside) and a random closer.
//! Checks what the model allows: every received value was sent, none twice, everything
//! whose send succeeded is received once the channel is closed and drained, and — when no
//! receive can be cancelled after a value reached it — each receiver sees each sender's
//! values in order. (A cancelled receive hands its value back to the head of the channel;
//! another receiver that already took a later value then sees the two out of order.)
//!
//! Cases: `PROPTEST_CASES` (default 256) for the sequential test,
//! `ITHACA_MODEL_CONCURRENT_CASES` (default 16) for the concurrent one, e.g.
//! `PROPTEST_CASES=1000000 cargo test -p ithaca-chan --release --test model sequential`.

use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::pin::pin;
use std::sync::OnceLock;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures_lite::StreamExt;
use ithaca_chan::{
    bounded, select, select_blocking, unbounded, Receiver, RecvTimeoutError, SendTimeoutError,
    Sender, TryRecvError, TrySendError,
};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------
// The reference model.

#[derive(Debug)]
struct Model {
    cap: Option<usize>,
    buf: VecDeque<u16>,
    closed: bool,
}

impl Model {
    fn full(&self) -> bool {
        self.cap.is_some_and(|c| self.buf.len() >= c)
    }

    fn try_send(&mut self, v: u16) -> Result<(), TrySendError<u16>> {
        if self.closed {
            Err(TrySendError::Closed(v))
        } else if self.full() {
            Err(TrySendError::Full(v))
        } else {
            self.buf.push_back(v);
            Ok(())
        }
    }

    fn try_recv(&mut self) -> Result<u16, TryRecvError> {
        match self.buf.pop_front() {
            Some(v) => Ok(v),
            None if self.closed => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }

    fn close(&mut self) -> bool {
        !std::mem::replace(&mut self.closed, true)
    }

    fn recv_ready(&self) -> bool {
        !self.buf.is_empty() || self.closed
    }

    fn send_ready(&self) -> bool {
        self.closed || !self.full()
    }
}

#[derive(Clone, Debug)]
enum Op {
    TrySend(u16),
    TryRecv,
    Close {
        from_receiver: bool,
    },
    Observe,
    CloneTx,
    DropTx,
    CloneRx,
    DropRx,
    SendTimeoutZero(u16),
    RecvTimeoutZero,
    /// An async send polled once, then dropped.
    PollSend(u16),
    /// An async receive polled once, then dropped.
    PollRecv,
    /// A receive parks; a `try_send` hands it a value; the receive then completes (`keep`)
    /// or is dropped (the value must go back to the head of the channel).
    ParkedRecvThenSend {
        v: u16,
        keep: bool,
    },
    /// A receive parks; the channel is closed; the receive completes with `None`.
    ParkedRecvThenClose,
    /// A send parks on a full channel; a `try_recv` makes room (or takes it); it completes.
    ParkedSendThenRecv(u16),
    /// A send parks on a full channel; the channel is closed; it completes with the value.
    ParkedSendThenClose(u16),
    /// `select_blocking!` with an optional send arm, an optional receive arm, a nil arm and
    /// `default`.
    SelectNb {
        send: Option<u16>,
        recv: bool,
    },
    /// `try_iter` drains what is there.
    Drain,
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => any::<u16>().prop_map(Op::TrySend),
        5 => Just(Op::TryRecv),
        1 => any::<bool>().prop_map(|from_receiver| Op::Close { from_receiver }),
        2 => Just(Op::Observe),
        1 => Just(Op::CloneTx),
        1 => Just(Op::DropTx),
        1 => Just(Op::CloneRx),
        1 => Just(Op::DropRx),
        2 => any::<u16>().prop_map(Op::SendTimeoutZero),
        2 => Just(Op::RecvTimeoutZero),
        2 => any::<u16>().prop_map(Op::PollSend),
        2 => Just(Op::PollRecv),
        2 => (any::<u16>(), any::<bool>()).prop_map(|(v, keep)| Op::ParkedRecvThenSend { v, keep }),
        1 => Just(Op::ParkedRecvThenClose),
        2 => any::<u16>().prop_map(Op::ParkedSendThenRecv),
        1 => any::<u16>().prop_map(Op::ParkedSendThenClose),
        3 => (proptest::option::of(any::<u16>()), any::<bool>())
            .prop_map(|(send, recv)| Op::SelectNb { send, recv }),
        1 => Just(Op::Drain),
    ]
}

fn cap_strategy() -> impl Strategy<Value = Option<usize>> {
    prop_oneof![Just(None), (0usize..5).prop_map(Some)]
}

fn poll_once<F: Future>(f: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}

/// Runs `ops` against a real channel and the model; panics (with the step) on disagreement.
fn run_sequential(cap: Option<usize>, ops: &[Op]) {
    let (tx, rx) = match cap {
        Some(c) => bounded::<u16>(c),
        None => unbounded::<u16>(),
    };
    let mut txs = vec![tx];
    let mut rxs = vec![rx];
    let mut m = Model {
        cap,
        buf: VecDeque::new(),
        closed: false,
    };
    for (step, op) in ops.iter().enumerate() {
        let ctx = format!("step {step} {op:?}, model {m:?}");
        match op.clone() {
            Op::TrySend(v) => {
                if let Some(tx) = txs.last() {
                    assert_eq!(tx.try_send(v), m.try_send(v), "{ctx}");
                }
            }
            Op::TryRecv => {
                if let Some(rx) = rxs.last() {
                    assert_eq!(rx.try_recv(), m.try_recv(), "{ctx}");
                }
            }
            Op::Close { from_receiver } => {
                let closed = match (from_receiver, txs.last(), rxs.last()) {
                    (true, _, Some(rx)) => rx.close(),
                    (false, Some(tx), _) => tx.close(),
                    _ => continue,
                };
                assert_eq!(closed, m.close(), "{ctx}");
            }
            Op::Observe => {}
            Op::CloneTx => {
                if let Some(tx) = txs.last() {
                    txs.push(tx.clone());
                }
            }
            Op::DropTx => {
                if txs.pop().is_some() && txs.is_empty() {
                    m.closed = true; // drop-close
                }
            }
            Op::CloneRx => {
                if let Some(rx) = rxs.last() {
                    rxs.push(rx.clone());
                }
            }
            Op::DropRx => {
                if rxs.pop().is_some() && rxs.is_empty() {
                    m.closed = true; // drop-close
                }
            }
            Op::SendTimeoutZero(v) => {
                if let Some(tx) = txs.last() {
                    let want = m.try_send(v).map_err(|e| match e {
                        TrySendError::Full(v) => SendTimeoutError::Timeout(v),
                        TrySendError::Closed(v) => SendTimeoutError::Closed(v),
                    });
                    assert_eq!(tx.send_blocking_timeout(v, Duration::ZERO), want, "{ctx}");
                }
            }
            Op::RecvTimeoutZero => {
                if let Some(rx) = rxs.last() {
                    let want = m.try_recv().map_err(|e| match e {
                        TryRecvError::Empty => RecvTimeoutError::Timeout,
                        TryRecvError::Closed => RecvTimeoutError::Closed,
                    });
                    assert_eq!(rx.recv_blocking_timeout(Duration::ZERO), want, "{ctx}");
                }
            }
            Op::PollSend(v) => {
                if let Some(tx) = txs.last() {
                    let mut f = pin!(tx.send(v));
                    match (poll_once(f.as_mut()), m.try_send(v)) {
                        (Poll::Ready(Ok(())), Ok(())) => {}
                        (Poll::Ready(Err(e)), Err(TrySendError::Closed(w))) => {
                            assert_eq!(e.into_inner(), w, "{ctx}")
                        }
                        (Poll::Pending, Err(TrySendError::Full(_))) => {
                            assert_eq!(tx.waiting(), (0, 1), "{ctx}: parked")
                        }
                        (got, want) => panic!("{ctx}: got {got:?}, model {want:?}"),
                    }
                }
            }
            Op::PollRecv => {
                if let Some(rx) = rxs.last() {
                    let mut f = pin!(rx.recv());
                    match (poll_once(f.as_mut()), m.try_recv()) {
                        (Poll::Ready(got), want) => assert_eq!(got, want.ok(), "{ctx}"),
                        (Poll::Pending, Err(TryRecvError::Empty)) => {
                            assert_eq!(rx.waiting(), (1, 0), "{ctx}: parked")
                        }
                        (Poll::Pending, want) => panic!("{ctx}: pending, model {want:?}"),
                    }
                }
            }
            Op::ParkedRecvThenSend { v, keep } => {
                let (Some(tx), Some(rx)) = (txs.last(), rxs.last()) else {
                    continue;
                };
                if m.recv_ready() {
                    continue; // would not park
                }
                let mut f = Box::pin(rx.recv());
                assert!(poll_once(f.as_mut()).is_pending(), "{ctx}");
                assert_eq!(tx.try_send(v), Ok(()), "{ctx}: a receiver is waiting");
                assert_eq!(tx.waiting(), (0, 0), "{ctx}: the receiver was served");
                if keep {
                    assert_eq!(poll_once(f.as_mut()), Poll::Ready(Some(v)), "{ctx}");
                } else {
                    drop(f);
                    m.buf.push_front(v); // handed back to the head, never lost
                }
            }
            Op::ParkedRecvThenClose => {
                let (Some(tx), Some(rx)) = (txs.last(), rxs.last()) else {
                    continue;
                };
                if m.recv_ready() {
                    continue;
                }
                let mut f = Box::pin(rx.recv());
                assert!(poll_once(f.as_mut()).is_pending(), "{ctx}");
                assert!(tx.close(), "{ctx}");
                m.close();
                assert_eq!(poll_once(f.as_mut()), Poll::Ready(None), "{ctx}");
            }
            Op::ParkedSendThenRecv(v) => {
                let (Some(tx), Some(rx)) = (txs.last(), rxs.last()) else {
                    continue;
                };
                if m.send_ready() {
                    continue; // would not park
                }
                let mut f = Box::pin(tx.send(v));
                assert!(poll_once(f.as_mut()).is_pending(), "{ctx}");
                // Go's rule: a receive from a full buffer with a parked sender takes the head
                // and moves the sender's value to the tail; with no buffer it takes the value.
                // (The buffer may hold one value over capacity, handed back by a cancelled
                // receive: then the sender still has no room and stays parked, and the
                // next receive makes room.)
                loop {
                    let (want, done) = match m.buf.pop_front() {
                        Some(head) if !m.full() => {
                            m.buf.push_back(v);
                            (head, true)
                        }
                        Some(head) => (head, false),
                        None => (v, true),
                    };
                    assert_eq!(rx.try_recv(), Ok(want), "{ctx}");
                    if done {
                        break;
                    }
                    assert!(poll_once(f.as_mut()).is_pending(), "{ctx}: no room yet");
                    assert_eq!(tx.waiting(), (0, 1), "{ctx}");
                }
                assert_eq!(poll_once(f.as_mut()), Poll::Ready(Ok(())), "{ctx}");
            }
            Op::ParkedSendThenClose(v) => {
                let (Some(tx), Some(rx)) = (txs.last(), rxs.last()) else {
                    continue;
                };
                if m.send_ready() {
                    continue;
                }
                let mut f = Box::pin(tx.send(v));
                assert!(poll_once(f.as_mut()).is_pending(), "{ctx}");
                assert!(rx.close(), "{ctx}");
                m.close();
                match poll_once(f.as_mut()) {
                    Poll::Ready(Err(e)) => assert_eq!(e.into_inner(), v, "{ctx}"),
                    other => panic!("{ctx}: {other:?}"),
                }
            }
            Op::SelectNb { send, recv } => {
                let (Some(tx), Some(rx)) = (txs.last(), rxs.last()) else {
                    continue;
                };
                let send_arm = send.map(|_| tx);
                let recv_arm = recv.then_some(rx);
                let nil: Option<&Receiver<u16>> = None;
                let can_send = send.is_some() && m.send_ready();
                let can_recv = recv && m.recv_ready();
                let chosen = select_blocking! {
                    send(send_arm, send.unwrap_or(0)) -> r => {
                        let v = send.unwrap();
                        assert!(can_send, "{ctx}: send arm chosen but not ready");
                        let want = m.try_send(v).map_err(|e| e.into_inner());
                        assert_eq!(r.map_err(|e| e.into_inner()), want, "{ctx}");
                        "send"
                    },
                    recv(recv_arm) -> got => {
                        assert!(can_recv, "{ctx}: recv arm chosen but not ready");
                        assert_eq!(got, m.try_recv().ok(), "{ctx}");
                        "recv"
                    },
                    recv(nil) -> _v => panic!("{ctx}: nil arm chosen"),
                    default => {
                        assert!(!can_send && !can_recv, "{ctx}: default taken with a ready arm");
                        "default"
                    },
                };
                let _ = chosen;
            }
            Op::Drain => {
                if let Some(rx) = rxs.last() {
                    let got: Vec<u16> = rx.try_iter().collect();
                    let want: Vec<u16> = m.buf.drain(..).collect();
                    assert_eq!(got, want, "{ctx}");
                }
            }
        }
        // Observations after every step.
        let probe_len = txs.last().map(|t| t.len()).or(rxs.last().map(|r| r.len()));
        if let Some(len) = probe_len {
            assert_eq!(len, m.buf.len(), "{ctx}: len");
        }
        for closed in txs
            .iter()
            .map(|t| t.is_closed())
            .chain(rxs.iter().map(|r| r.is_closed()))
        {
            assert_eq!(closed, m.closed, "{ctx}: is_closed");
        }
        if let Some(t) = txs.last() {
            assert_eq!(t.capacity(), cap, "{ctx}");
            assert_eq!(t.waiting(), (0, 0), "{ctx}: somebody left waiting");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::default())]

    #[test]
    fn sequential_agrees_with_model(
        cap in cap_strategy(),
        ops in proptest::collection::vec(op_strategy(), 1..80),
    ) {
        run_sequential(cap, &ops);
    }
}

// ---------------------------------------------------------------------------------------
// The concurrent variant.

#[derive(Clone, Copy, Debug)]
enum ProducerKind {
    ThreadBlocking,
    ThreadTry,
    ThreadTimeout,
    ThreadSelect,
    TaskSend,
    TaskSelect,
    /// `tokio::time::timeout` around `send`: a dropped send may or may not have delivered.
    TaskCancelled,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum ConsumerKind {
    ThreadBlocking,
    ThreadTry,
    ThreadTimeout,
    ThreadSelect,
    ThreadIter,
    TaskRecv,
    TaskStream,
    TaskSelect,
    /// `tokio::time::timeout` around `recv` (a value handed over is given back on drop).
    TaskCancelled,
}

#[derive(Clone, Copy, Debug)]
enum Closer {
    /// Go style: the main thread closes after every producer finished.
    AfterProducers,
    /// A consumer closes (receiver side) after receiving this many values in total.
    Consumer(usize),
    /// Producer 0 closes when it is done (the others may then fail).
    FirstProducer,
}

#[derive(Clone, Debug)]
struct Program {
    cap: Option<usize>,
    producers: Vec<(ProducerKind, u32)>,
    consumers: Vec<ConsumerKind>,
    closer: Closer,
}

fn program_strategy() -> impl Strategy<Value = Program> {
    let producer = (
        prop_oneof![
            Just(ProducerKind::ThreadBlocking),
            Just(ProducerKind::ThreadTry),
            Just(ProducerKind::ThreadTimeout),
            Just(ProducerKind::ThreadSelect),
            Just(ProducerKind::TaskSend),
            Just(ProducerKind::TaskSelect),
            Just(ProducerKind::TaskCancelled),
        ],
        1u32..400,
    );
    let consumer = prop_oneof![
        Just(ConsumerKind::ThreadBlocking),
        Just(ConsumerKind::ThreadTry),
        Just(ConsumerKind::ThreadTimeout),
        Just(ConsumerKind::ThreadSelect),
        Just(ConsumerKind::ThreadIter),
        Just(ConsumerKind::TaskRecv),
        Just(ConsumerKind::TaskStream),
        Just(ConsumerKind::TaskSelect),
        Just(ConsumerKind::TaskCancelled),
    ];
    let closer = prop_oneof![
        3 => Just(Closer::AfterProducers),
        1 => (0usize..200).prop_map(Closer::Consumer),
        1 => Just(Closer::FirstProducer),
    ];
    (
        prop_oneof![
            Just(None),
            Just(Some(0)),
            Just(Some(1)),
            Just(Some(3)),
            Just(Some(64))
        ],
        proptest::collection::vec(producer, 1..5),
        proptest::collection::vec(consumer, 1..5),
        closer,
    )
        .prop_map(|(cap, producers, mut consumers, closer)| {
            // Non-blocking senders and non-blocking receivers never meet on a rendezvous
            // channel (as in Go): a `try_send` producer needs a consumer that parks.
            let all_try = producers
                .iter()
                .any(|p| matches!(p.0, ProducerKind::ThreadTry))
                && consumers.iter().all(|c| *c == ConsumerKind::ThreadTry);
            if cap == Some(0) && all_try {
                consumers[0] = ConsumerKind::ThreadBlocking;
            }
            Program {
                cap,
                producers,
                consumers,
                closer,
            }
        })
}

fn rt() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
}

/// What one producer did: values whose send succeeded, and values whose send future was
/// dropped (delivered or not).
#[derive(Default)]
struct Sent {
    ok: Vec<u64>,
    maybe: Vec<u64>,
}

fn value(pid: usize, seq: u32) -> u64 {
    ((pid as u64) << 32) | seq as u64
}

fn produce_thread(kind: ProducerKind, pid: usize, n: u32, tx: Sender<u64>) -> Sent {
    let (_idle_tx, idle) = bounded::<()>(0);
    let mut sent = Sent::default();
    for seq in 0..n {
        let v = value(pid, seq);
        let ok = match kind {
            ProducerKind::ThreadBlocking => tx.send_blocking(v).is_ok(),
            ProducerKind::ThreadTry => loop {
                match tx.try_send(v) {
                    Ok(()) => break true,
                    Err(TrySendError::Closed(_)) => break false,
                    Err(TrySendError::Full(_)) => std::thread::yield_now(),
                }
            },
            ProducerKind::ThreadTimeout => loop {
                match tx.send_blocking_timeout(v, Duration::from_micros(200)) {
                    Ok(()) => break true,
                    Err(SendTimeoutError::Closed(_)) => break false,
                    Err(SendTimeoutError::Timeout(w)) => assert_eq!(w, v),
                }
            },
            ProducerKind::ThreadSelect => select_blocking! {
                send(&tx, v) -> r => r.is_ok(),
                recv(&idle) -> _u => unreachable!(),
            },
            _ => unreachable!(),
        };
        if !ok {
            break;
        }
        sent.ok.push(v);
    }
    sent
}

async fn produce_task(kind: ProducerKind, pid: usize, n: u32, tx: Sender<u64>) -> Sent {
    let (_idle_tx, idle) = bounded::<()>(0);
    let mut sent = Sent::default();
    for seq in 0..n {
        let v = value(pid, seq);
        let ok = match kind {
            ProducerKind::TaskSend => tx.send(v).await.is_ok(),
            ProducerKind::TaskSelect => select! {
                send(&tx, v) -> r => r.is_ok(),
                recv(&idle) -> _u => unreachable!(),
            },
            ProducerKind::TaskCancelled => {
                match tokio::time::timeout(Duration::from_micros(seq as u64 % 50), tx.send(v)).await
                {
                    Ok(r) => r.is_ok(),
                    Err(_) => {
                        sent.maybe.push(v);
                        if tx.is_closed() {
                            break;
                        }
                        continue;
                    }
                }
            }
            _ => unreachable!(),
        };
        if !ok {
            break;
        }
        sent.ok.push(v);
    }
    sent
}

/// Shared by consumers to implement `Closer::Consumer`.
struct Tally {
    received: std::sync::atomic::AtomicUsize,
    close_after: Option<usize>,
}

impl Tally {
    fn got(&self, rx: &Receiver<u64>) {
        let n = self
            .received
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        if self.close_after == Some(n) {
            rx.close();
        }
    }
}

fn consume_thread(kind: ConsumerKind, rx: Receiver<u64>, tally: &Tally) -> Vec<u64> {
    let (_idle_tx, idle) = bounded::<()>(0);
    let mut got = Vec::new();
    let push = |v: u64, got: &mut Vec<u64>| {
        got.push(v);
        tally.got(&rx);
    };
    match kind {
        ConsumerKind::ThreadBlocking => {
            while let Some(v) = rx.recv_blocking() {
                push(v, &mut got);
            }
        }
        ConsumerKind::ThreadIter => {
            for v in rx.iter() {
                push(v, &mut got);
            }
        }
        ConsumerKind::ThreadTry => loop {
            match rx.try_recv() {
                Ok(v) => push(v, &mut got),
                Err(TryRecvError::Empty) => std::thread::yield_now(),
                Err(TryRecvError::Closed) => break,
            }
        },
        ConsumerKind::ThreadTimeout => loop {
            match rx.recv_blocking_timeout(Duration::from_micros(200)) {
                Ok(v) => push(v, &mut got),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Closed) => break,
            }
        },
        ConsumerKind::ThreadSelect => loop {
            let v = select_blocking! {
                recv(&rx) -> v => v,
                recv(&idle) -> _u => unreachable!(),
            };
            match v {
                Some(v) => push(v, &mut got),
                None => break,
            }
        },
        _ => unreachable!(),
    }
    got
}

async fn consume_task(kind: ConsumerKind, rx: Receiver<u64>, tally: &Tally) -> Vec<u64> {
    let (_idle_tx, idle) = bounded::<()>(0);
    let mut got = Vec::new();
    match kind {
        ConsumerKind::TaskRecv => {
            while let Some(v) = rx.recv().await {
                got.push(v);
                tally.got(&rx);
            }
        }
        ConsumerKind::TaskStream => {
            let mut s = rx.stream();
            while let Some(v) = s.next().await {
                got.push(v);
                tally.got(&rx);
            }
        }
        ConsumerKind::TaskSelect => loop {
            let v = select! {
                recv(&rx) -> v => v,
                recv(&idle) -> _u => unreachable!(),
            };
            match v {
                Some(v) => {
                    got.push(v);
                    tally.got(&rx);
                }
                None => break,
            }
        },
        ConsumerKind::TaskCancelled => {
            let mut i = 0u64;
            loop {
                i += 1;
                match tokio::time::timeout(Duration::from_micros(i % 40), rx.recv()).await {
                    Ok(Some(v)) => {
                        got.push(v);
                        tally.got(&rx);
                    }
                    Ok(None) => break,
                    Err(_) => {}
                }
            }
        }
        _ => unreachable!(),
    }
    got
}

fn run_concurrent(p: &Program) {
    let (tx, rx) = match p.cap {
        Some(c) => bounded::<u64>(c),
        None => unbounded::<u64>(),
    };
    let tally = std::sync::Arc::new(Tally {
        received: Default::default(),
        close_after: match p.closer {
            Closer::Consumer(k) => Some(k.max(1)),
            _ => None,
        },
    });
    // Consumers.
    let mut consumer_threads = Vec::new();
    let mut consumer_tasks = Vec::new();
    for &kind in &p.consumers {
        let (rx, tally) = (rx.clone(), tally.clone());
        match kind {
            ConsumerKind::TaskRecv
            | ConsumerKind::TaskStream
            | ConsumerKind::TaskSelect
            | ConsumerKind::TaskCancelled => {
                consumer_tasks.push(rt().spawn(async move { consume_task(kind, rx, &tally).await }))
            }
            _ => {
                consumer_threads.push(std::thread::spawn(move || consume_thread(kind, rx, &tally)))
            }
        }
    }
    let probe = rx.clone();
    drop(rx);
    // Producers.
    let mut producer_threads = Vec::new();
    let mut producer_tasks = Vec::new();
    for (pid, &(kind, n)) in p.producers.iter().enumerate() {
        let tx = tx.clone();
        let close_when_done = pid == 0 && matches!(p.closer, Closer::FirstProducer);
        match kind {
            ProducerKind::TaskSend | ProducerKind::TaskSelect | ProducerKind::TaskCancelled => {
                producer_tasks.push((
                    pid,
                    rt().spawn(async move {
                        let s = produce_task(kind, pid, n, tx.clone()).await;
                        if close_when_done {
                            tx.close();
                        }
                        s
                    }),
                ))
            }
            _ => producer_threads.push((
                pid,
                std::thread::spawn(move || {
                    let s = produce_thread(kind, pid, n, tx.clone());
                    if close_when_done {
                        tx.close();
                    }
                    s
                }),
            )),
        }
    }
    let mut sent: Vec<Option<Sent>> = (0..p.producers.len()).map(|_| None).collect();
    for (pid, h) in producer_threads {
        sent[pid] = Some(h.join().unwrap());
    }
    rt().block_on(async {
        for (pid, h) in producer_tasks {
            sent[pid] = Some(h.await.unwrap());
        }
    });
    let sent: Vec<Sent> = sent.into_iter().map(Option::unwrap).collect();
    tx.close(); // Go style (a no-op if someone closed already)
    drop(tx);
    let mut received: Vec<Vec<u64>> = consumer_threads
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    rt().block_on(async {
        for h in consumer_tasks {
            received.push(h.await.unwrap());
        }
    });

    // Invariants the model allows.
    let ok: HashSet<u64> = sent.iter().flat_map(|s| s.ok.iter().copied()).collect();
    let maybe: HashSet<u64> = sent.iter().flat_map(|s| s.maybe.iter().copied()).collect();
    let mut seen = HashSet::new();
    for v in received.iter().flatten() {
        assert!(seen.insert(*v), "{p:?}: value {v:#x} received twice");
        assert!(
            ok.contains(v) || maybe.contains(v),
            "{p:?}: value {v:#x} received but never sent"
        );
    }
    for v in &ok {
        assert!(
            seen.contains(v),
            "{p:?}: value {v:#x} sent but never received"
        );
    }
    if matches!(p.closer, Closer::AfterProducers) {
        for (s, (_, n)) in sent.iter().zip(&p.producers) {
            assert_eq!(
                s.ok.len() + s.maybe.len(),
                *n as usize,
                "{p:?}: a send failed before close"
            );
        }
    }
    // Per-receiver FIFO per sender, when no receive could be cancelled holding a value.
    if !p.consumers.contains(&ConsumerKind::TaskCancelled) {
        for (c, got) in received.iter().enumerate() {
            let mut last: HashMap<u64, u64> = HashMap::new();
            for v in got {
                let (pid, seq) = (v >> 32, v & 0xffff_ffff);
                if let Some(prev) = last.insert(pid, seq) {
                    assert!(
                        prev < seq,
                        "{p:?}: consumer {c} got producer {pid}'s {seq} after {prev}"
                    );
                }
            }
        }
    }
    assert_eq!(probe.len(), 0, "{p:?}: left in the channel");
    assert_eq!(probe.waiting(), (0, 0), "{p:?}: somebody left waiting");
    assert_eq!(probe.try_recv(), Err(TryRecvError::Closed));
}

fn concurrent_cases() -> u32 {
    std::env::var("ITHACA_MODEL_CONCURRENT_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: concurrent_cases(),
        failure_persistence: None,
        max_shrink_iters: 64,
        ..ProptestConfig::default()
    })]

    #[test]
    fn concurrent_invariants(p in program_strategy()) {
        run_concurrent(&p);
    }
}
