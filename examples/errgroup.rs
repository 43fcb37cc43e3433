//! errgroup: run subtasks concurrently, wait for all, get the first error, cancel the rest.
//!
//! The Go original (`golang.org/x/sync/errgroup`, examples "JustErrors" and "Parallel"):
//!
//! ```go
//! g := new(errgroup.Group)
//! for _, url := range urls {
//!     g.Go(func() error { resp, err := http.Get(url); ...; return err })
//! }
//! if err := g.Wait(); err == nil { fmt.Println("Successfully fetched all URLs.") }
//!
//! g, ctx := errgroup.WithContext(ctx)
//! results := make([]Result, len(searches))
//! for i, search := range searches {
//!     g.Go(func() error { result, err := search(ctx, query); results[i] = result; return err })
//! }
//! if err := g.Wait(); err != nil { return nil, err }
//! ```
//!
//! `ithaca::patterns::errgroup::Group` is the same type; `ResultGroup` collects the members'
//! values in submission order (no shared slice to index). The "fetch" here is simulated.

use std::time::Duration;

use ithaca::context::Context;
use ithaca::patterns::errgroup::{Group, ResultGroup};

async fn fetch(ctx: Context, url: &'static str) -> Result<(), String> {
    if url.contains("somestupidname") {
        return Err(format!("Get \"{url}\": no such host"));
    }
    // A slow fetch that gives up when the group is cancelled.
    ithaca::select! {
        arm(ithaca::time::after(Duration::from_millis(20))) => Ok(()),
        arm(ctx.done()) => Err(format!("Get \"{url}\": context canceled")),
    }
}

async fn nap(ms: u64) -> Result<(), String> {
    ithaca::time::sleep(Duration::from_millis(ms)).await;
    Ok(())
}

async fn search(kind: &'static str, query: &'static str) -> Result<String, String> {
    Ok(format!("{kind} result for {query:?}"))
}

#[ithaca::main]
async fn main() {
    let urls = ["http://www.golang.org/", "http://www.google.com/"];
    let g = Group::new();
    for url in urls {
        g.go(fetch(Context::background(), url));
    }
    if g.wait().await.is_ok() {
        println!("Successfully fetched all URLs.");
    }

    // With a context: the bad URL fails at once and cancels the slow fetches.
    let (g, ctx) = Group::with_context(&Context::background());
    for url in urls.into_iter().chain(["http://www.somestupidname.com/"]) {
        g.go(fetch(ctx.clone(), url));
    }
    match g.wait().await {
        Ok(()) => println!("Successfully fetched all URLs."),
        Err(e) => println!("error: {e}"),
    }
    println!("context: {:?}, cause: {}", ctx.err(), ctx.cause().unwrap());

    // Parallel search, results in submission order.
    let g = ResultGroup::new();
    for kind in ["web", "image", "video"] {
        g.go(search(kind, "golang"));
    }
    for result in g.wait().await.unwrap() {
        println!("{result}");
    }

    // A limit: at most 2 members run at once.
    let g = Group::<String>::new();
    g.set_limit(2);
    let accepted = (0..3).filter(|_| g.try_go(nap(10))).count();
    println!("try_go accepted {accepted} of 3 with a limit of 2");
    g.wait().await.unwrap();
}
