//! The `select!` and `select_blocking!` macros: thin sugar over [`Select`](crate::Select).
//!
//! Each arm becomes a local [`RecvArm`](crate::RecvArm), [`SendArm`](crate::SendArm) or any
//! [`Arm`](crate::Arm) value; the macro runs `Select` over them (`.await` or `.wait()`) and
//! matches the index of the chosen arm to run its body. Arm syntax, as in crossbeam:
//!
//! ```text
//! recv(&rx) -> v => body        // v: Option<T>; None = closed and drained
//! send(&tx, value) -> r => body // r: Result<(), SendError<T>>
//! arm(expr) => body             // any Arm: a timer, ctx.done(), a lock ...
//! default => body               // Go's default: taken if no arm is ready now
//! ```
//!
//! A leading `biased;` polls arms in order instead of at random. Bodies are blocks (a comma
//! after them is optional) or expressions followed by a comma. `break`, `continue`, `return`
//! and `?` in a body act on the enclosing loop or function, as in Go. At most 32 arms; use
//! [`Select`](crate::Select) directly for more or for dynamic sets.

/// Go's `select`, in async code (goroutines): waits until exactly one arm's operation
/// happens and runs its body.
///
/// Arms: `recv(&rx) -> v => body`, `send(&tx, value) -> result => body`,
/// `arm(any_arm) => body`, `default => body`; `biased;` first for in-order priority. An arm on
/// `None` (Go's nil channel) is never chosen; a select with no arms and no default waits
/// forever.
///
/// # Cancel safety
///
/// Dropping the select future loses nothing: an unchosen send arm's value is dropped with it,
/// never delivered; a receive arm whose value was handed over just before the drop gives it
/// back to its channel.
///
/// ```
/// # futures_lite::future::block_on(async {
/// use ithaca_chan::{bounded, select};
/// let (tx1, rx1) = bounded::<i32>(1);
/// let (tx2, rx2) = bounded::<&str>(1);
/// tx2.send("two").await.unwrap();
/// let got = select! {
///     recv(&rx1) -> v => format!("rx1: {v:?}"),
///     recv(&rx2) -> v => format!("rx2: {v:?}"),
///     send(&tx1, 7) -> r => format!("sent: {r:?}"),
/// };
/// assert!(got == "rx2: Some(\"two\")" || got == "sent: Ok(())");
/// # });
/// ```
#[macro_export]
macro_rules! select {
    (biased; $($t:tt)*) => {
        $crate::__select!(@parse (.await) (true) (no_default) () (__arm0 __arm1 __arm2 __arm3 __arm4 __arm5 __arm6 __arm7 __arm8 __arm9 __arm10 __arm11 __arm12 __arm13 __arm14 __arm15 __arm16 __arm17 __arm18 __arm19 __arm20 __arm21 __arm22 __arm23 __arm24 __arm25 __arm26 __arm27 __arm28 __arm29 __arm30 __arm31) (0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31) $($t)*)
    };
    ($($t:tt)*) => {
        $crate::__select!(@parse (.await) (false) (no_default) () (__arm0 __arm1 __arm2 __arm3 __arm4 __arm5 __arm6 __arm7 __arm8 __arm9 __arm10 __arm11 __arm12 __arm13 __arm14 __arm15 __arm16 __arm17 __arm18 __arm19 __arm20 __arm21 __arm22 __arm23 __arm24 __arm25 __arm26 __arm27 __arm28 __arm29 __arm30 __arm31) (0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31) $($t)*)
    };
}

/// Go's `select` on a plain thread: parks until exactly one arm's operation happens and runs
/// its body. Same arms as [`select!`].
///
/// # Blocking
///
/// Parks the calling thread until an arm is ready (or returns at once through `default`).
///
/// ```
/// use ithaca_chan::{bounded, select_blocking};
/// let (tx, rx) = bounded::<i32>(0);
/// let v = select_blocking! {
///     recv(&rx) -> v => v,
///     default => Some(-1),
/// };
/// assert_eq!(v, Some(-1)); // nobody was sending
/// # drop(tx);
/// ```
#[macro_export]
macro_rules! select_blocking {
    (biased; $($t:tt)*) => {
        $crate::__select!(@parse (.wait()) (true) (no_default) () (__arm0 __arm1 __arm2 __arm3 __arm4 __arm5 __arm6 __arm7 __arm8 __arm9 __arm10 __arm11 __arm12 __arm13 __arm14 __arm15 __arm16 __arm17 __arm18 __arm19 __arm20 __arm21 __arm22 __arm23 __arm24 __arm25 __arm26 __arm27 __arm28 __arm29 __arm30 __arm31) (0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31) $($t)*)
    };
    ($($t:tt)*) => {
        $crate::__select!(@parse (.wait()) (false) (no_default) () (__arm0 __arm1 __arm2 __arm3 __arm4 __arm5 __arm6 __arm7 __arm8 __arm9 __arm10 __arm11 __arm12 __arm13 __arm14 __arm15 __arm16 __arm17 __arm18 __arm19 __arm20 __arm21 __arm22 __arm23 __arm24 __arm25 __arm26 __arm27 __arm28 __arm29 __arm30 __arm31) (0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31) $($t)*)
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __select {
    // recv(&rx) -> pat => body
    (@parse $w:tt $b:tt $d:tt ($($arms:tt)*) ($n:ident $($ns:ident)*) ($i:tt $($is:tt)*)
        recv($rx:expr) -> $p:pat => $body:block , $($rest:tt)*) => {
        $crate::__select!(@parse $w $b $d ($($arms)* [$n $i ($crate::RecvArm::new($rx))
            ({ let $p = $crate::ArmOutput::take_output(&mut $n); $body })]) ($($ns)*) ($($is)*) $($rest)*)
    };
    (@parse $w:tt $b:tt $d:tt ($($arms:tt)*) ($n:ident $($ns:ident)*) ($i:tt $($is:tt)*)
        recv($rx:expr) -> $p:pat => $body:block $($rest:tt)*) => {
        $crate::__select!(@parse $w $b $d ($($arms)* [$n $i ($crate::RecvArm::new($rx))
            ({ let $p = $crate::ArmOutput::take_output(&mut $n); $body })]) ($($ns)*) ($($is)*) $($rest)*)
    };
    (@parse $w:tt $b:tt $d:tt ($($arms:tt)*) ($n:ident $($ns:ident)*) ($i:tt $($is:tt)*)
        recv($rx:expr) -> $p:pat => $body:expr $(, $($rest:tt)*)?) => {
        $crate::__select!(@parse $w $b $d ($($arms)* [$n $i ($crate::RecvArm::new($rx))
            ({ let $p = $crate::ArmOutput::take_output(&mut $n); $body })]) ($($ns)*) ($($is)*) $($($rest)*)?)
    };
    // send(&tx, value) -> pat => body
    (@parse $w:tt $b:tt $d:tt ($($arms:tt)*) ($n:ident $($ns:ident)*) ($i:tt $($is:tt)*)
        send($tx:expr, $v:expr) -> $p:pat => $body:block , $($rest:tt)*) => {
        $crate::__select!(@parse $w $b $d ($($arms)* [$n $i ($crate::SendArm::new($tx, $v))
            ({ let $p = $crate::ArmOutput::take_output(&mut $n); $body })]) ($($ns)*) ($($is)*) $($rest)*)
    };
    (@parse $w:tt $b:tt $d:tt ($($arms:tt)*) ($n:ident $($ns:ident)*) ($i:tt $($is:tt)*)
        recv($rx:expr) -> $p:pat => $body:expr $(, $($rest:tt)*)?) => {
        $crate::__select!(@parse $w $b $d ($($arms)* [$n $i ($crate::RecvArm::new($rx))
            ({ let $p = $crate::ArmOutput::take_output(&mut $n); $body })]) ($($ns)*) ($($is)*) $($($rest)*)?)
    };
    // send(&tx, value) -> pat => body
    (@parse $w:tt $b:tt $d:tt ($($arms:tt)*) ($n:ident $($ns:ident)*) ($i:tt $($is:tt)*)
        send($tx:expr, $v:expr) -> $p:pat => $body:block $($rest:tt)*) => {
        $crate::__select!(@parse $w $b $d ($($arms)* [$n $i ($crate::SendArm::new($tx, $v))
            ({ let $p = $crate::ArmOutput::take_output(&mut $n); $body })]) ($($ns)*) ($($is)*) $($rest)*)
    };
    (@parse $w:tt $b:tt $d:tt ($($arms:tt)*) ($n:ident $($ns:ident)*) ($i:tt $($is:tt)*)
        send($tx:expr, $v:expr) -> $p:pat => $body:expr $(, $($rest:tt)*)?) => {
        $crate::__select!(@parse $w $b $d ($($arms)* [$n $i ($crate::SendArm::new($tx, $v))
            ({ let $p = $crate::ArmOutput::take_output(&mut $n); $body })]) ($($ns)*) ($($is)*) $($($rest)*)?)
    };
    // arm(any_arm) => body
    (@parse $w:tt $b:tt $d:tt ($($arms:tt)*) ($n:ident $($ns:ident)*) ($i:tt $($is:tt)*)
        arm($a:expr) => $body:block , $($rest:tt)*) => {
        $crate::__select!(@parse $w $b $d ($($arms)* [$n $i ($a) ({ let _ = &mut $n; $body })])
            ($($ns)*) ($($is)*) $($rest)*)
    };
    (@parse $w:tt $b:tt $d:tt ($($arms:tt)*) ($n:ident $($ns:ident)*) ($i:tt $($is:tt)*)
        send($tx:expr, $v:expr) -> $p:pat => $body:expr $(, $($rest:tt)*)?) => {
        $crate::__select!(@parse $w $b $d ($($arms)* [$n $i ($crate::SendArm::new($tx, $v))
            ({ let $p = $crate::ArmOutput::take_output(&mut $n); $body })]) ($($ns)*) ($($is)*) $($($rest)*)?)
    };
    // arm(any_arm) => body
    (@parse $w:tt $b:tt $d:tt ($($arms:tt)*) ($n:ident $($ns:ident)*) ($i:tt $($is:tt)*)
        arm($a:expr) => $body:block $($rest:tt)*) => {
        $crate::__select!(@parse $w $b $d ($($arms)* [$n $i ($a) ({ let _ = &mut $n; $body })])
            ($($ns)*) ($($is)*) $($rest)*)
    };
    (@parse $w:tt $b:tt $d:tt ($($arms:tt)*) ($n:ident $($ns:ident)*) ($i:tt $($is:tt)*)
        arm($a:expr) => $body:expr $(, $($rest:tt)*)?) => {
        $crate::__select!(@parse $w $b $d ($($arms)* [$n $i ($a) ({ let _ = &mut $n; $body })])
            ($($ns)*) ($($is)*) $($($rest)*)?)
    };
    // default => body
    (@parse $w:tt $b:tt (no_default) $arms:tt $ns:tt $is:tt default => $body:block , $($rest:tt)*) => {
        $crate::__select!(@parse $w $b (default $body) $arms $ns $is $($rest)*)
    };
    (@parse $w:tt $b:tt $d:tt ($($arms:tt)*) ($n:ident $($ns:ident)*) ($i:tt $($is:tt)*)
        arm($a:expr) => $body:expr $(, $($rest:tt)*)?) => {
        $crate::__select!(@parse $w $b $d ($($arms)* [$n $i ($a) ({ let _ = &mut $n; $body })])
            ($($ns)*) ($($is)*) $($($rest)*)?)
    };
    // default => body
    (@parse $w:tt $b:tt (no_default) $arms:tt $ns:tt $is:tt default => $body:block $($rest:tt)*) => {
        $crate::__select!(@parse $w $b (default $body) $arms $ns $is $($rest)*)
    };
    (@parse $w:tt $b:tt (no_default) $arms:tt $ns:tt $is:tt default => $body:expr $(, $($rest:tt)*)?) => {
        $crate::__select!(@parse $w $b (default { $body }) $arms $ns $is $($($rest)*)?)
    };
    (@parse $w:tt $b:tt (default $x:tt) $arms:tt $ns:tt $is:tt default $($rest:tt)*) => {
        ::core::compile_error!("select: more than one `default` arm")
    };
    (@parse $w:tt $b:tt $d:tt $arms:tt () () $($rest:tt)+) => {
        ::core::compile_error!("select: more than 32 arms; use ithaca::chan::Select directly")
    };
    // All arms parsed.
    (@parse ($($wait:tt)*) ($biased:tt) (no_default) ($([$n:ident $i:tt ($init:expr) ($armbody:expr)])*) $ns:tt $is:tt) => {{
        $( let mut $n = $init; )*
        let __ithaca_arms: &mut [&mut dyn $crate::Arm] = &mut [$(&mut $n),*];
        let __ithaca_chosen = $crate::Select::new(__ithaca_arms)
            .options($crate::SelectOptions { biased: $biased, default: false })
            $($wait)*;
        match __ithaca_chosen {
            $( ::core::option::Option::Some($i) => $armbody, )*
            _ => ::core::unreachable!("select: no arm chosen without a default"),
        }
    }};
    (@parse ($($wait:tt)*) ($biased:tt) (default $dbody:block) ($([$n:ident $i:tt ($init:expr) ($armbody:expr)])*) $ns:tt $is:tt) => {{
        $( let mut $n = $init; )*
        let __ithaca_arms: &mut [&mut dyn $crate::Arm] = &mut [$(&mut $n),*];
        let __ithaca_chosen = $crate::Select::new(__ithaca_arms)
            .options($crate::SelectOptions { biased: $biased, default: true })
            $($wait)*;
        match __ithaca_chosen {
            $( ::core::option::Option::Some($i) => $armbody, )*
            ::core::option::Option::None => $dbody,
            _ => ::core::unreachable!("select: chose an arm that does not exist"),
        }
    }};
    // Anything else is a syntax error in an arm.
    (@parse $w:tt $b:tt $d:tt $arms:tt $ns:tt $is:tt $($rest:tt)+) => {
        ::core::compile_error!(::core::concat!(
            "select: expected `recv(&rx) -> v => body`, `send(&tx, value) -> r => body`, ",
            "`arm(expr) => body` or `default => body`, found: ",
            ::core::stringify!($($rest)+)
        ))
    };
}
