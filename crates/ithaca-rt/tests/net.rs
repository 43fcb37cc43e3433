//! tokio-based I/O works inside goroutines unchanged: a tokio::net echo server goroutine
//! answers a client goroutine over loopback.
#![cfg(not(loom))]

use ithaca_rt::{go, runtime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn tokio_net_echo_server_in_a_goroutine() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = ithaca_rt::Goroutine::new()
        .name("echo-server")
        .spawn(async move {
            // Serve exactly two connections, each in its own goroutine.
            let mut conns = Vec::new();
            for _ in 0..2 {
                let (mut sock, _) = listener.accept().await.unwrap();
                conns.push(go!(async move {
                    let mut buf = [0u8; 1024];
                    loop {
                        let n = sock.read(&mut buf).await.unwrap();
                        if n == 0 {
                            break;
                        }
                        sock.write_all(&buf[..n]).await.unwrap();
                    }
                }));
            }
            for c in conns {
                c.await.unwrap();
            }
        });
    let server_id = server.id();
    let clients: Vec<_> = (0..2u8)
        .map(|i| {
            go!(async move {
                let mut s = TcpStream::connect(addr).await.unwrap();
                let msg = format!("hello from client {i}");
                s.write_all(msg.as_bytes()).await.unwrap();
                let mut back = vec![0u8; msg.len()];
                s.read_exact(&mut back).await.unwrap();
                String::from_utf8(back).unwrap()
            })
        })
        .collect();
    let mut answers = Vec::new();
    for c in clients {
        answers.push(c.await.unwrap());
    }
    assert_eq!(answers, ["hello from client 0", "hello from client 1"]);
    // The server is in the registry (waiting on I/O or running) until the clients hang up.
    assert!(
        !cfg!(feature = "diagnostics")
            || runtime::snapshot().iter().any(|g| g.id == server_id)
            || server.is_finished()
    );
    server.await.unwrap();
}
