//! singleflight: concurrent calls for the same key share one execution.
//!
//! The Go original (`golang.org/x/sync/singleflight`):
//!
//! ```go
//! var g singleflight.Group
//! v, err, shared := g.Do("user:42", func() (any, error) { return loadUser(42) })
//! ch := g.DoChan("user:42", loadUser42) // the result arrives on ch
//! g.Forget("user:42")                   // the next call loads again
//! ```
//!
//! `ithaca::patterns::singleflight::Group`: `call` is Go's `Do` (`do` is a Rust keyword),
//! `call_chan` is `DoChan` (an ithaca channel, usable in `select!`), `forget` is `Forget`.
//! Here ten callers ask for the same user while the load is in flight: it runs once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use ithaca::chan::bounded;
use ithaca::patterns::singleflight::Group;

#[ithaca::main]
async fn main() {
    let g = Group::<String, Result<String, String>>::new();
    let loads = Arc::new(AtomicUsize::new(0));
    let (release, gate) = bounded::<()>(0);

    // Ten callers while the first load is blocked: they all join it.
    let mut results = Vec::new();
    for _ in 0..10 {
        let (loads, gate) = (loads.clone(), gate.clone());
        results.push(g.call_chan("user:42".into(), async move {
            loads.fetch_add(1, Ordering::SeqCst);
            gate.recv().await; // the slow part
            Ok("Gopher".to_string())
        }));
    }
    drop((release, gate)); // let the load finish
    for (i, rx) in results.iter().enumerate() {
        let (user, shared) = rx.recv().await.unwrap();
        println!("caller {i}: {user:?}, shared: {shared}");
    }
    println!("loads: {}", loads.load(Ordering::SeqCst));

    // Nobody else asking: not shared. Errors reach every caller like values.
    let (r, shared) = g
        .call("user:7".into(), async {
            Err("user 7 not found".to_string())
        })
        .await;
    println!("user:7 -> {r:?}, shared: {shared}");

    // Forget: the next call runs again.
    g.forget(&"user:42".to_string());
    let (r, _) = g
        .call("user:42".into(), async {
            Ok("Gopher (reloaded)".to_string())
        })
        .await;
    println!("after forget: {r:?}");
}
