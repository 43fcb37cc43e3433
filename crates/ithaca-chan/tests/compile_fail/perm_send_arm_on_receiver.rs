// Go: test/chan/perm.go — "case cr <- 0: // ERROR send": a select send case on a
// receive-only channel.
fn main() {
    let (_tx, rx) = ithaca_chan::bounded::<i32>(1);
    ithaca_chan::select_blocking! {
        send(&rx, 0) -> _r => {},
        default => {},
    }
}
