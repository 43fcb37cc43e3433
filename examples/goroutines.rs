//! Goroutines: lightweight concurrent functions.
//!
//! The Go original:
//!
//! ```go
//! func f(from string) { for i := 0; i < 3; i++ { fmt.Println(from, ":", i) } }
//!
//! f("direct")
//! go f("goroutine")
//! go func(msg string) { fmt.Println(msg) }("going")
//! time.Sleep(time.Second) // crude: wait for the goroutines
//! fmt.Println("done")
//! ```
//!
//! In ithaca `go!(future)` spawns a goroutine and returns a `JoinHandle`: ignore it to detach
//! (as in Go), or `.await` it to wait for the goroutine and get its result — no sleeping.
//! The two goroutines run concurrently, so their lines may interleave differently per run.
//! `go!` works outside async code too (a plain thread, `fn main`): there is always a runtime,
//! and `handle.join()` waits for the goroutine without `.await`.

use ithaca::go;

fn f(from: &str) {
    for i in 0..3 {
        println!("{from} : {i}");
    }
}

#[ithaca::main]
async fn main() {
    // A plain call runs synchronously.
    f("direct");

    // `go f("goroutine")`: runs concurrently with the caller.
    let a = go!(async { f("goroutine") });

    // `go func(msg string) { ... }("going")`: an anonymous goroutine capturing its argument.
    let msg = String::from("going");
    let b = go!(async move { println!("{msg}") });

    // Instead of Go's `time.Sleep`, wait for exactly these two goroutines.
    a.await.unwrap();
    b.await.unwrap();
    println!("done");

    // Goroutines are cheap: ten thousand of them, each returning a value to its joiner.
    let handles: Vec<_> = (0..10_000u64).map(|i| go!(async move { i })).collect();
    let mut sum = 0;
    for h in handles {
        sum += h.await.unwrap();
    }
    println!("10000 goroutines returned a sum of {sum}");
}
