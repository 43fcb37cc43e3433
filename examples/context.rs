//! Context: cancellation and deadlines for a request, across goroutines.
//!
//! The Go original (an HTTP handler):
//!
//! ```go
//! func hello(w http.ResponseWriter, req *http.Request) {
//!     ctx := req.Context() // cancelled when the client goes away
//!     select {
//!     case <-time.After(10 * time.Second): fmt.Fprintf(w, "hello\n")
//!     case <-ctx.Done(): http.Error(w, ctx.Err().Error(), http.StatusInternalServerError)
//!     }
//! }
//! ```
//!
//! Here a small line-based "HTTP-ish" server on 127.0.0.1 (tokio::net inside goroutines)
//! gives each request a context that is
//! * cancelled when the client hangs up (a goroutine watches the socket and drops the
//!   request's `CancelHandle` on EOF: dropping the handle cancels),
//! * limited to 100 ms by `Context::with_timeout` (the deadline),
//! * tagged with a request id by `Context::with_value`.
//!
//! The handler selects on its work (`after(work)`) and `ctx.done()`, like the Go handler.
//! Three requests: one finishes in time, one hits the deadline, one is abandoned.

use std::time::Duration;

use ithaca::chan::{unbounded, Sender};
use ithaca::context::{Context, ContextError, Key};
use ithaca::time::after;
use ithaca::{go, select};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

const MS: Duration = Duration::from_millis(1);
static REQUEST_ID: Key<u64> = Key::new("request-id");

/// The handler: `work` stands for the time it needs to produce the answer.
async fn hello(ctx: &Context, work: Duration) -> Result<String, ContextError> {
    let id = ctx.value(&REQUEST_ID).copied().unwrap_or(0);
    println!("server: [req {id}] handler started");
    let res = select! {
        arm(after(work)) => Ok("hello".to_string()),
        arm(ctx.done()) => Err(ctx.err().expect("done implies an error")),
    };
    match &res {
        Ok(_) => println!("server: [req {id}] handler ended"),
        Err(e) => println!("server: [req {id}] handler stopped: {e}"),
    }
    res
}

/// One connection: read a request line `GET /work?ms=N`, answer one line, close.
async fn serve_conn(stream: TcpStream, id: u64, served: Sender<u64>) {
    let (rd, mut wr) = stream.into_split();
    let mut rd = BufReader::new(rd);
    let mut line = String::new();
    if rd.read_line(&mut line).await.unwrap_or(0) == 0 {
        return;
    }
    let work_ms: u64 = line
        .trim()
        .strip_prefix("GET /work?ms=")
        .and_then(|ms| ms.parse().ok())
        .unwrap_or(0);

    // The request context: cancelled by the watcher when the client hangs up.
    let (req_ctx, hang_up) = Context::with_cancel(&Context::background());
    let req_ctx = Context::with_value(&req_ctx, &REQUEST_ID, id);
    go!(async move {
        let mut buf = [0u8; 1];
        let _ = rd.read(&mut buf).await; // EOF (or an error): the client is gone
        drop(hang_up); // dropping the CancelHandle cancels the context
    });

    // The server's deadline for every handler, derived from the request context. The guard
    // `_deadline` cancels the context (and frees its timer) when it goes out of scope: Go's
    // `defer cancel()`.
    let (ctx, _deadline) = Context::with_timeout(&req_ctx, 100 * MS);
    let reply = match hello(&ctx, Duration::from_millis(work_ms)).await {
        Ok(body) => format!("200 OK: {body}\n"),
        Err(e) => format!("500 Internal Server Error: {e}\n"),
    };
    let _ = wr.write_all(reply.as_bytes()).await; // fails if the client is gone: fine
    let _ = wr.shutdown().await;
    let _ = served.send(id).await;
}

/// A client: sends one request and prints the answer, or hangs up after `patience`.
async fn client(addr: std::net::SocketAddr, work_ms: u64, patience: Option<Duration>) {
    println!("client: GET /work?ms={work_ms}");
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let req = format!("GET /work?ms={work_ms}\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    if let Some(p) = patience {
        ithaca::time::sleep(p).await;
        println!("client: hanging up after {} ms", p.as_millis());
        return; // `stream` is dropped: the connection closes
    }
    let mut reply = String::new();
    stream.read_to_string(&mut reply).await.unwrap();
    print!("client: got {reply}");
}

#[ithaca::main]
async fn main() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (served_tx, served) = unbounded::<u64>();
    go!(async move {
        let mut next_id = 1;
        while let Ok((stream, _)) = listener.accept().await {
            go!(serve_conn(stream, next_id, served_tx.clone()));
            next_id += 1;
        }
    });

    // 1. 20 ms of work, 100 ms deadline: answered.
    client(addr, 20, None).await;
    served.recv().await.unwrap();
    // 2. 500 ms of work: the deadline cancels the handler at 100 ms.
    client(addr, 500, None).await;
    served.recv().await.unwrap();
    // 3. The client hangs up after 30 ms: the handler is cancelled at once.
    client(addr, 500, Some(30 * MS)).await;
    served.recv().await.unwrap();

    // The same API outside a server: a cancel tree.
    let (parent, cancel) = Context::with_cancel(&Context::background());
    let (child, _child_guard) = Context::with_timeout(&parent, Duration::from_secs(60));
    cancel.cancel();
    child.done().await; // returns at once: cancelling the parent reached the child
    println!("child of a cancelled parent: {:?}", child.err());
}
