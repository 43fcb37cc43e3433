//! Go's compile-time channel direction errors (test/chan/perm.go) as compile-fail tests.

#[test]
fn direction_misuse_does_not_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/compile_fail/*.rs");
}
