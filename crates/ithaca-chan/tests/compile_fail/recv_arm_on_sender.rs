// Go: test/chan/perm.go — "case <-cs: // ERROR receive": a select receive arm on a send-only channel.
fn main() {
    let (tx, _rx) = ithaca_chan::bounded::<i32>(1);
    ithaca_chan::select_blocking! {
        recv(&tx) -> _v => {},
        default => {},
    }
}
