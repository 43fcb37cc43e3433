// Go: test/chan/perm.go — "cr <- 0 // ERROR send": sending on a receive-only channel.
fn main() {
    let (_tx, rx) = ithaca_chan::bounded::<i32>(1);
    let _ = rx.try_send(0);
}
