// Go: test/chan/perm.go — "<-cs // ERROR receive": receiving from a send-only channel.
fn main() {
    let (tx, _rx) = ithaca_chan::bounded::<i32>(1);
    let _ = tx.try_recv();
}
