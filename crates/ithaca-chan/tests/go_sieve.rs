//! Port of Go's `test/chan/sieve1.go`: the concurrent prime sieve, a daisy chain of filter
//! goroutines connected by unbuffered channels, each ranging over its input.
//!
//! Written from the behaviour described in go-semantics.md §2.1, not copied.
//! Differs from Go: Go leaks the whole chain when `main` stops reading; here dropping the
//! last receiver closes the channel, so every stage's send fails and the chain unwinds — the
//! tests join every stage to check that.

mod common;

use std::thread;

use ithaca_chan::{bounded, Receiver, Sender};

const FIRST_25: [u64; 25] = [
    2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97,
];

/// Go's `Generate`: 2, 3, 4, ... until nobody listens.
fn generate(tx: Sender<u64>) {
    let mut i = 2;
    while tx.send_blocking(i).is_ok() {
        i += 1;
    }
}

/// Go's `Filter`: copy `rx` to `tx`, dropping multiples of `prime`.
fn filter(rx: Receiver<u64>, tx: Sender<u64>, prime: u64) {
    for i in &rx {
        if i % prime != 0 && tx.send_blocking(i).is_err() {
            return;
        }
    }
}

/// Go's `Sieve`: each prime read from the head of the chain starts a new filter behind it.
/// Returns the stage threads it started so the test can join them.
fn sieve(primes: Sender<u64>) -> Vec<thread::JoinHandle<()>> {
    let mut stages = Vec::new();
    let (tx, mut rx) = bounded(0);
    stages.push(thread::spawn(move || generate(tx)));
    loop {
        let Some(prime) = rx.recv_blocking() else {
            return stages;
        };
        if primes.send_blocking(prime).is_err() {
            return stages; // the reader left: dropping `rx` unwinds the chain
        }
        let (tx1, rx1) = bounded(0);
        stages.push(thread::spawn(move || filter(rx, tx1, prime)));
        rx = rx1;
    }
}

#[test]
fn sieve1_first_25_primes_threads() {
    let (tx, primes) = bounded(0);
    let sieve = thread::spawn(move || sieve(tx));
    for (i, want) in FIRST_25.iter().enumerate() {
        assert_eq!(primes.recv_blocking(), Some(*want), "prime #{i}");
    }
    drop(primes);
    // Drop-close makes the whole chain terminate (Go would leak it).
    let stages = sieve.join().unwrap();
    assert_eq!(stages.len(), 26, "a generator plus one filter per prime");
    for s in stages {
        s.join().unwrap();
    }
}

/// The same sieve with goroutines as tokio tasks and `.await` operations, 100 primes.
#[test]
fn sieve1_first_100_primes_tasks() {
    let rt = common::runtime(2);
    let got: Vec<u64> = rt.block_on(async {
        let (primes_tx, primes) = bounded::<u64>(0);
        let sieve = tokio::spawn(async move {
            let (tx, mut rx) = bounded::<u64>(0);
            let mut stages = vec![tokio::spawn(async move {
                let mut i = 2;
                while tx.send(i).await.is_ok() {
                    i += 1;
                }
            })];
            while let Some(prime) = rx.recv().await {
                if primes_tx.send(prime).await.is_err() {
                    break;
                }
                let (tx1, rx1) = bounded::<u64>(0);
                stages.push(tokio::spawn(async move {
                    while let Some(i) = rx.recv().await {
                        if i % prime != 0 && tx1.send(i).await.is_err() {
                            return;
                        }
                    }
                }));
                rx = rx1;
            }
            drop(rx);
            for s in stages {
                s.await.unwrap();
            }
        });
        let mut got = Vec::new();
        for _ in 0..100 {
            got.push(primes.recv().await.unwrap());
        }
        drop(primes);
        sieve.await.unwrap(); // the chain unwound
        got
    });
    let want: Vec<u64> = (2u64..)
        .filter(|n| (2..*n).take_while(|d| d * d <= *n).all(|d| n % d != 0))
        .take(100)
        .collect();
    assert_eq!(got, want);
    assert_eq!(&got[..25], &FIRST_25);
}
