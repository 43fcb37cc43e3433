// Go: test/chan/perm.go — "for range cs {} // ERROR range": ranging (here: an async stream)
// over a send-only channel.
fn main() {
    let (tx, _rx) = ithaca_chan::bounded::<i32>(1);
    let _s = tx.stream();
}
