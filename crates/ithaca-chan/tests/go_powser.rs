//! Port (reduced) of Go's `test/chan/powser1.go`: McIlroy's power series over "demand
//! channels". Every series is a goroutine that produces its next coefficient only when asked
//! (an unbuffered request channel plus an unbuffered data channel); operators are goroutines
//! that combine series, `get2` asks two series at once with a select whose cases are switched
//! off by nil-ing them (Go's `getn`), and products and `exp` build recursive and feedback
//! networks of hundreds of short-lived goroutines. A good end-to-end check of rendezvous and
//! nil select arms.
//!
//! Written from the behaviour described in go-semantics.md §2.1, not copied; `split` is a
//! simpler queue-based design than Go's `dosplit`, and the coefficients are checked against
//! a plain sequential computation. Goroutines are tokio tasks; channel ops are `.await`ed.
//! Differs from Go: Go's network leaks when `main` returns; here dropping the consumer
//! closes the channels (drop-close) and the operator tasks end.

mod common;

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::ops::{Add, Mul, Neg};

use ithaca_chan::{bounded, select, Receiver, Sender};

/// An exact rational, always normalised (positive denominator, lowest terms).
#[derive(Clone, Copy, PartialEq, Eq)]
struct Rat {
    n: i128,
    d: i128,
}

fn gcd(a: i128, b: i128) -> i128 {
    if b == 0 {
        a.abs()
    } else {
        gcd(b, a % b)
    }
}

impl Rat {
    fn new(n: i128, d: i128) -> Rat {
        assert!(d != 0, "zero denominator");
        let g = gcd(n, d).max(1) * d.signum();
        Rat { n: n / g, d: d / g }
    }
    fn int(n: i128) -> Rat {
        Rat::new(n, 1)
    }
}

impl Add for Rat {
    type Output = Rat;
    fn add(self, o: Rat) -> Rat {
        Rat::new(self.n * o.d + o.n * self.d, self.d * o.d)
    }
}
impl Mul for Rat {
    type Output = Rat;
    fn mul(self, o: Rat) -> Rat {
        Rat::new(self.n * o.n, self.d * o.d)
    }
}
impl Neg for Rat {
    type Output = Rat;
    fn neg(self) -> Rat {
        Rat::new(-self.n, self.d)
    }
}
impl fmt::Debug for Rat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.d == 1 {
            write!(f, "{}", self.n)
        } else {
            write!(f, "{}/{}", self.n, self.d)
        }
    }
}

/// The consumer end of a power series: ask on `req`, read the coefficient from `dat`.
struct Ps {
    req: Sender<()>,
    dat: Receiver<Rat>,
}

/// The producer end: wait for a request, answer it.
struct Out {
    req: Receiver<()>,
    dat: Sender<Rat>,
}

fn mkps() -> (Out, Ps) {
    let (req_tx, req_rx) = bounded(0);
    let (dat_tx, dat_rx) = bounded(0);
    (
        Out {
            req: req_rx,
            dat: dat_tx,
        },
        Ps {
            req: req_tx,
            dat: dat_rx,
        },
    )
}

/// Go's `go` statement.
fn go(f: impl Future<Output = ()> + Send + 'static) {
    tokio::spawn(f);
}

impl Ps {
    /// Go's `get`: demand one coefficient. `None` once the producer is gone.
    async fn get(&self) -> Option<Rat> {
        self.req.send(()).await.ok()?;
        self.dat.recv().await
    }
}

impl Out {
    /// Go's `put`: wait for demand, deliver. `false` once the consumer is gone.
    async fn put(&self, r: Rat) -> bool {
        self.req.recv().await.is_some() && self.dat.send(r).await.is_ok()
    }
}

/// Go's `getn` for two series: send both requests and receive both answers in whatever
/// order the partners are ready, switching each case off (nil) once done.
async fn get2(a: &Ps, b: &Ps) -> Option<(Rat, Rat)> {
    let mut req = [Some(&a.req), Some(&b.req)];
    let mut dat: [Option<&Receiver<Rat>>; 2] = [None, None];
    let mut out = [None, None];
    for _ in 0..4 {
        select! {
            send(req[0], ()) -> r => { r.ok()?; req[0] = None; dat[0] = Some(&a.dat); }
            send(req[1], ()) -> r => { r.ok()?; req[1] = None; dat[1] = Some(&b.dat); }
            recv(dat[0]) -> v => { out[0] = Some(v?); dat[0] = None; }
            recv(dat[1]) -> v => { out[1] = Some(v?); dat[1] = None; }
        }
    }
    Some((out[0]?, out[1]?))
}

/// Forward every demanded coefficient of `from` to `to`.
async fn copy(from: Ps, to: Out) {
    while to.req.recv().await.is_some() {
        let Some(v) = from.get().await else { return };
        if to.dat.send(v).await.is_err() {
            return;
        }
    }
}

/// The constant series c, c, c, ...
fn rep(c: Rat) -> Ps {
    let (o, p) = mkps();
    go(async move { while o.put(c).await {} });
    p
}

fn add_ps(u: Ps, v: Ps) -> Ps {
    let (o, p) = mkps();
    go(async move {
        while o.req.recv().await.is_some() {
            let Some((a, b)) = get2(&u, &v).await else {
                return;
            };
            if o.dat.send(a + b).await.is_err() {
                return;
            }
        }
    });
    p
}

fn cmul(c: Rat, u: Ps) -> Ps {
    let (o, p) = mkps();
    go(async move {
        while o.req.recv().await.is_some() {
            let Some(a) = u.get().await else { return };
            if o.dat.send(c * a).await.is_err() {
                return;
            }
        }
    });
    p
}

fn sub_ps(u: Ps, v: Ps) -> Ps {
    add_ps(u, cmul(Rat::int(-1), v))
}

/// The derivative: u1, 2·u2, 3·u3, ...
fn diff(u: Ps) -> Ps {
    let (o, p) = mkps();
    go(async move {
        if o.req.recv().await.is_none() || u.get().await.is_none() {
            return; // u0 is dropped, lazily: only once the first term is demanded
        }
        let mut i = 1;
        loop {
            let Some(a) = u.get().await else { return };
            if o.dat.send(Rat::int(i) * a).await.is_err() || o.req.recv().await.is_none() {
                return;
            }
            i += 1;
        }
    });
    p
}

/// The integral with constant term `c`: c, u0, u1/2, u2/3, ... The constant is delivered
/// without demanding anything from `u` (needed by the feedback loop of `exp`).
fn integ(c: Rat, u: Ps) -> Ps {
    let (o, p) = mkps();
    go(async move {
        if !o.put(c).await {
            return;
        }
        let mut i = 1;
        while o.req.recv().await.is_some() {
            let Some(a) = u.get().await else { return };
            if o.dat.send(Rat::new(1, i) * a).await.is_err() {
                return;
            }
            i += 1;
        }
    });
    p
}

/// Two independent consumers of one series; coefficients are demanded from `u` only when an
/// output asks for one it has not seen yet. One select loop with six arms, most of them
/// switched off (nil) at any moment: accept a demand, answer a demand from the queue,
/// request from `u`, receive from `u`. Serving one output never waits for the other (the
/// feedback loop of `exp` needs that). An output whose consumer leaves is switched off.
fn split(u: Ps) -> (Ps, Ps) {
    let (o0, p0) = mkps();
    let (o1, p1) = mkps();
    go(async move {
        let outs = [&o0, &o1];
        let mut live = [true, true];
        let mut pending = [false, false];
        let mut fetching = false;
        let mut queues: [VecDeque<Rat>; 2] = [VecDeque::new(), VecDeque::new()];
        while live[0] || live[1] {
            let accept = |k: usize| (live[k] && !pending[k]).then_some(&outs[k].req);
            let answer =
                |k: usize| (live[k] && pending[k] && !queues[k].is_empty()).then_some(&outs[k].dat);
            let front = |k: usize| queues[k].front().copied().unwrap_or(Rat::int(0));
            let starving = (0..2).any(|k| live[k] && pending[k] && queues[k].is_empty());
            let ask = (!fetching && starving).then_some(&u.req);
            let hear = fetching.then_some(&u.dat);
            select! {
                recv(accept(0)) -> r => { if r.is_some() { pending[0] = true } else { live[0] = false } }
                recv(accept(1)) -> r => { if r.is_some() { pending[1] = true } else { live[1] = false } }
                send(answer(0), front(0)) -> r => {
                    queues[0].pop_front();
                    pending[0] = false;
                    live[0] = r.is_ok();
                }
                send(answer(1), front(1)) -> r => {
                    queues[1].pop_front();
                    pending[1] = false;
                    live[1] = r.is_ok();
                }
                send(ask, ()) -> r => { if r.is_err() { return } fetching = true; }
                recv(hear) -> v => {
                    let Some(v) = v else { return };
                    fetching = false;
                    for (k, q) in queues.iter_mut().enumerate() {
                        if live[k] {
                            q.push_back(v);
                        }
                    }
                }
            }
        }
    });
    (p0, p1)
}

/// Go's `Mul`: (u0 + x·U1)(v0 + x·V1) = u0·v0 + x·(u0·V1 + v0·U1) + x²·U1·V1, built
/// recursively (every term starts another product network).
fn mul_ps(u: Ps, v: Ps) -> Ps {
    let (z, p) = mkps();
    go(async move {
        if z.req.recv().await.is_none() {
            return;
        }
        let Some((u0, v0)) = get2(&u, &v).await else {
            return;
        };
        if z.dat.send(u0 * v0).await.is_err() {
            return;
        }
        let (uu0, uu1) = split(u);
        let (vv0, vv1) = split(v);
        let w = add_ps(cmul(u0, vv0), cmul(v0, uu0));
        if z.req.recv().await.is_none() {
            return;
        }
        let Some(w0) = w.get().await else { return };
        if z.dat.send(w0).await.is_err() {
            return;
        }
        copy(add_ps(w, mul_ps(uu1, vv1)), z).await;
    });
    p
}

/// Go's `Exp`: Z = ∫(Z·U') with Z(0) = 1, a feedback network through `split`.
fn exp_ps(u: Ps) -> Ps {
    let (feedback_out, feedback) = mkps();
    let z = integ(Rat::int(1), mul_ps(feedback, diff(u)));
    let (z0, z1) = split(z);
    go(copy(z0, feedback_out));
    z1
}

/// Go's `MonSubst`: substitute c·x^n for x.
fn mon_subst(u: Ps, c: Rat, n: usize) -> Ps {
    let (o, p) = mkps();
    go(async move {
        let mut cn = Rat::int(1);
        loop {
            let Some(a) = ({
                if o.req.recv().await.is_none() {
                    return;
                }
                u.get().await
            }) else {
                return;
            };
            if o.dat.send(a * cn).await.is_err() {
                return;
            }
            cn = cn * c;
            for _ in 1..n {
                if !o.put(Rat::int(0)).await {
                    return;
                }
            }
        }
    });
    p
}

const N: usize = 10;

async fn take(ps: &Ps, n: usize) -> Vec<Rat> {
    let mut v = Vec::new();
    for _ in 0..n {
        v.push(ps.get().await.expect("series ended"));
    }
    v
}

fn ints(v: &[i128]) -> Vec<Rat> {
    v.iter().map(|&n| Rat::int(n)).collect()
}

/// exp of a series with derivative coefficients `du`, sequentially:
/// (n+1)·z[n+1] = Σ z[k]·du[n-k].
fn exp_reference(du: &[Rat], n: usize) -> Vec<Rat> {
    let mut z = vec![Rat::int(1)];
    for m in 0..n - 1 {
        let s = (0..=m).fold(Rat::int(0), |s, k| s + z[k] * du[m - k]);
        z.push(Rat::new(1, m as i128 + 1) * s);
    }
    z
}

#[test]
fn powser1_operators() {
    let rt = common::runtime(2);
    rt.block_on(async {
        let one = Rat::int(1);
        assert_eq!(take(&rep(one), N).await, ints(&[1; N]), "Ones");
        assert_eq!(
            take(&add_ps(rep(one), rep(one)), N).await,
            ints(&[2; N]),
            "Add(Ones, Ones)"
        );
        assert_eq!(
            take(&add_ps(rep(one), rep(Rat::int(2))), N).await,
            ints(&[3; N]),
            "Add(Ones, Twos)"
        );
        assert_eq!(
            take(&diff(rep(one)), N).await,
            (1..=N as i128).map(Rat::int).collect::<Vec<_>>(),
            "Diff(Ones)"
        );
        let mut integ_want = vec![Rat::int(0)];
        integ_want.extend((1..N as i128).map(|i| Rat::new(1, i)));
        assert_eq!(
            take(&integ(Rat::int(0), rep(one)), N).await,
            integ_want,
            "Integ(0, Ones)"
        );
        assert_eq!(
            take(&cmul(-one, rep(Rat::int(2))), N).await,
            ints(&[-2; N]),
            "Cmul(-1, Twos)"
        );
        assert_eq!(
            take(&sub_ps(rep(one), rep(Rat::int(2))), N).await,
            ints(&[-1; N]),
            "Sub(Ones, Twos)"
        );
        assert_eq!(
            take(&mul_ps(rep(one), rep(one)), N).await,
            (1..=N as i128).map(Rat::int).collect::<Vec<_>>(),
            "Mul(Ones, Ones) = 1/(1-x)^2"
        );
    });
}

#[test]
fn powser1_exp_and_atan() {
    let rt = common::runtime(2);
    rt.block_on(async {
        // Exp(Ones) = e^(x/(1-x)): 1, 1, 3/2, 13/6, 73/24, ...
        let e = take(&exp_ps(rep(Rat::int(1))), N).await;
        let du: Vec<Rat> = (1..=N as i128).map(Rat::int).collect();
        assert_eq!(e, exp_reference(&du, N), "Exp(Ones)");
        assert_eq!(
            &e[..5],
            &[
                Rat::int(1),
                Rat::int(1),
                Rat::new(3, 2),
                Rat::new(13, 6),
                Rat::new(73, 24)
            ]
        );
        // atan x = ∫ 1/(1+x²) = x - x³/3 + x⁵/5 - ...
        let at = take(
            &integ(Rat::int(0), mon_subst(rep(Rat::int(1)), Rat::int(-1), 2)),
            N,
        )
        .await;
        let want: Vec<Rat> = (0..N as i128)
            .map(|i| {
                if i % 2 == 0 {
                    Rat::int(0)
                } else {
                    Rat::new(if (i / 2) % 2 == 0 { 1 } else { -1 }, i)
                }
            })
            .collect();
        assert_eq!(at, want, "ATan");
    });
}
