// Go: test/chan/perm.go — "for range cs // ERROR receive": ranging over a send-only channel.
fn main() {
    let (tx, _rx) = ithaca_chan::bounded::<i32>(1);
    for _v in &tx {}
}
