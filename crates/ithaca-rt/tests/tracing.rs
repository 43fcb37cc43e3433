//! The `tracing` feature at run time: every goroutine gets a span `goroutine{id, name,
//! spawned_at}` (target `ithaca::goroutine`), entered for each of its polls, so events logged
//! inside a goroutine are inside its span.
//!
//! `cargo test -p ithaca-rt --features tracing --test tracing`
//!
//! A minimal hand-written [`Subscriber`] records spans (name, target, fields), the stack of
//! spans entered on each thread, and, for every event, the innermost span entered on the
//! thread that logged it. It is installed process-wide (goroutines run on worker threads), so
//! this binary has a single test.
#![cfg(all(not(loom), feature = "tracing"))]

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// One span as the subscriber saw it.
#[derive(Clone, Debug, Default)]
struct SpanRec {
    name: &'static str,
    target: String,
    fields: HashMap<&'static str, String>,
}

/// One event: its message and the innermost span entered on its thread when it was logged.
#[derive(Clone, Debug)]
struct EventRec {
    message: String,
    span: Option<u64>,
}

#[derive(Default)]
struct Log {
    spans: HashMap<u64, SpanRec>,
    events: Vec<EventRec>,
}

#[derive(Clone, Default)]
struct Recorder {
    log: Arc<Mutex<Log>>,
    next: Arc<AtomicU64>,
}

thread_local! {
    /// The spans entered on this thread, innermost last.
    static ENTERED: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

struct Fields<'a>(&'a mut HashMap<&'static str, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name(), value.to_owned());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name(), value.to_string());
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let mut rec = SpanRec {
            name: attrs.metadata().name(),
            target: attrs.metadata().target().to_owned(),
            fields: HashMap::new(),
        };
        attrs.record(&mut Fields(&mut rec.fields));
        self.log.lock().unwrap().spans.insert(id, rec);
        Id::from_u64(id)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        if let Some(rec) = self.log.lock().unwrap().spans.get_mut(&span.into_u64()) {
            values.record(&mut Fields(&mut rec.fields));
        }
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = HashMap::new();
        event.record(&mut Fields(&mut fields));
        let span = ENTERED.with(|e| e.borrow().last().copied());
        self.log.lock().unwrap().events.push(EventRec {
            message: fields.remove("message").unwrap_or_default(),
            span,
        });
    }

    fn enter(&self, span: &Id) {
        ENTERED.with(|e| e.borrow_mut().push(span.into_u64()));
    }

    fn exit(&self, span: &Id) {
        ENTERED.with(|e| {
            let mut e = e.borrow_mut();
            let top = e.pop();
            assert_eq!(top, Some(span.into_u64()), "spans exited out of order");
        });
    }
}

impl Recorder {
    /// The span an event with `message` was logged in (exactly one such event expected).
    fn span_of_event(&self, message: &str) -> Option<SpanRec> {
        let log = self.log.lock().unwrap();
        let evs: Vec<&EventRec> = log.events.iter().filter(|e| e.message == message).collect();
        assert_eq!(evs.len(), 1, "events {message:?}: {:?}", log.events);
        evs[0].span.map(|id| log.spans[&id].clone())
    }
}

#[test]
fn goroutine_spans_carry_id_name_spawn_site_and_wrap_every_poll() {
    let rec = Recorder::default();
    tracing::subscriber::set_global_default(rec.clone()).unwrap();

    let (tx, rx) = ithaca_chan::bounded::<u32>(0);
    let (started_tx, started_rx) = ithaca_chan::bounded::<()>(0);
    let g = ithaca_rt::Goroutine::new().name("worker-7");
    let line = line!() + 1;
    let h = g.spawn(async move {
        tracing::info!("first poll");
        started_tx.send(()).await.unwrap();
        // Blocks (unbuffered, nobody sends yet): the span is exited when the poll returns
        // Pending and entered again when the goroutine is polled after the wake.
        let v = rx.recv().await.unwrap();
        tracing::info!("after wake {v}");
        v
    });
    let id = h.id();
    started_rx.recv_blocking().unwrap();
    // Another goroutine polled meanwhile (perhaps on the same worker) is in its own span.
    ithaca_rt::go!(async { tracing::info!("other goroutine") })
        .join()
        .unwrap();
    tx.send_blocking(7).unwrap();
    assert_eq!(h.join().unwrap(), 7);
    tracing::info!("outside");

    let spawn_site = format!("{}:{line}:", file!());
    for message in ["first poll", "after wake 7"] {
        let span = rec
            .span_of_event(message)
            .unwrap_or_else(|| panic!("event {message:?} logged outside any span"));
        assert_eq!(span.target, "ithaca::goroutine", "{span:?}");
        assert_eq!(span.name, "goroutine", "{span:?}");
        assert_eq!(span.fields["name"], "worker-7", "{span:?}");
        assert_eq!(span.fields["id"], id.to_string(), "{span:?}");
        assert!(
            span.fields["spawned_at"].starts_with(&spawn_site),
            "{span:?}, expected spawned_at {spawn_site}<column>"
        );
    }
    let other = rec
        .span_of_event("other goroutine")
        .expect("in its own span");
    assert_eq!(other.fields["name"], "", "{other:?}");
    assert_ne!(other.fields["id"], id.to_string(), "{other:?}");
    assert!(
        rec.span_of_event("outside").is_none(),
        "the test thread is in no span"
    );
}
