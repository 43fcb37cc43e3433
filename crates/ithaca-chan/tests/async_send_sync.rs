//! Pins which types are Send, Sync and Unpin (after tokio's tests/async_send_sync.rs).

use std::rc::Rc;

use ithaca_chan::*;

fn send<T: Send>() {}
fn sync<T: Sync>() {}
fn unpin<T: Unpin>() {}

#[test]
fn handles_are_send_and_sync_when_the_message_is_send() {
    send::<Sender<String>>();
    sync::<Sender<String>>();
    send::<Receiver<String>>();
    sync::<Receiver<String>>();
    send::<RecvFuture<'static, String>>();
    send::<SendFuture<'static, String>>();
    send::<RecvStream<'static, String>>();
    unpin::<RecvFuture<'static, String>>();
    unpin::<SendFuture<'static, std::marker::PhantomPinned>>();
    send::<SelectFuture<'static, 'static>>();
    sync::<SendError<String>>();
    let _ = Rc::new(0); // Rc-carrying channels are neither Send nor Sync (not asserted here).
}
