//! Output: the Go twin's results (read from `GO_RESULTS`), the markdown tables, the machine
//! description, `docs/benchmarks.md` and the plot `docs/benchmarks.svg`.
//!
//! The Go file is one JSON object per line, written by `go/main.go`:
//! `{"meta":"ithaca-bench-go","go":"go1.19.8","gomaxprocs":2,"scale":1,"rounds":5}` first,
//! then `{"id":"chan/goroutine/spsc/0","value":123.4,"unit":"ns/msg"}` per measured row or
//! `{"id":"chan/goroutine/spsc/unbounded","na":"why"}` per row Go cannot do. Only this flat
//! shape is parsed (strings without escapes, plain numbers).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use plotters::prelude::*;

use crate::harness::{Cell, Config, SectionResult};

/// Go's entry for one row.
#[derive(Clone, Debug)]
pub enum GoCell {
    /// Median over Go's rounds, in the row's unit.
    Value(f64),
    /// Go cannot do this row, and why.
    Na(String),
}

/// The Go twin's results.
#[derive(Default)]
pub struct GoResults {
    /// `go version` of the twin (`runtime.Version()`), when a file was read.
    pub version: Option<String>,
    /// Its GOMAXPROCS.
    pub gomaxprocs: Option<String>,
    /// Its BENCH_SCALE and BENCH_ROUNDS, to check they match ours.
    pub scale: Option<f64>,
    /// See `scale`.
    pub rounds: Option<usize>,
    /// By row id.
    pub rows: HashMap<String, GoCell>,
    /// Why there are no Go numbers, if there are none.
    pub missing: Option<String>,
}

fn json_str<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let pat = format!("\"{key}\":\"");
    let start = line.find(&pat)? + pat.len();
    let len = line[start..].find('"')?;
    Some(&line[start..start + len])
}

fn json_num(line: &str, key: &str) -> Option<f64> {
    let pat = format!("\"{key}\":");
    let start = line.find(&pat)? + pat.len();
    let end = line[start..]
        .find([',', '}'])
        .map_or(line.len(), |e| start + e);
    line[start..end].trim().parse().ok()
}

impl GoResults {
    /// Reads `GO_RESULTS` (or says why there is nothing to read).
    pub fn from_env() -> GoResults {
        let Some(path) = std::env::var_os("GO_RESULTS") else {
            let why = std::env::var("GO_MISSING").unwrap_or_else(|_| {
                "GO_RESULTS not set (run scripts/bench.sh for the Go column)".into()
            });
            return GoResults {
                missing: Some(why),
                ..GoResults::default()
            };
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                return GoResults {
                    missing: Some(format!("cannot read {}: {e}", Path::new(&path).display())),
                    ..GoResults::default()
                }
            }
        };
        GoResults::parse(&text)
    }

    /// Parses the Go twin's output.
    pub fn parse(text: &str) -> GoResults {
        let mut g = GoResults::default();
        for line in text.lines().map(str::trim).filter(|l| l.starts_with('{')) {
            if json_str(line, "meta").is_some() {
                g.version = json_str(line, "go").map(str::to_owned);
                g.gomaxprocs = json_num(line, "gomaxprocs").map(|v| v.to_string());
                g.scale = json_num(line, "scale");
                g.rounds = json_num(line, "rounds").map(|v| v as usize);
            } else if let Some(id) = json_str(line, "id") {
                if let Some(why) = json_str(line, "na") {
                    g.rows.insert(id.into(), GoCell::Na(why.into()));
                } else if let Some(v) = json_num(line, "value") {
                    g.rows.insert(id.into(), GoCell::Value(v));
                }
            }
        }
        if g.rows.is_empty() {
            g.missing = Some("the Go results file has no rows".into());
        }
        g
    }

    /// Go's value for a row.
    pub fn value(&self, id: &str) -> Option<f64> {
        match self.rows.get(id) {
            Some(GoCell::Value(v)) => Some(*v),
            _ => None,
        }
    }

    /// Whether any Go number is present.
    pub fn present(&self) -> bool {
        self.missing.is_none()
    }
}

fn fmt_value(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn fmt_cell(c: &Cell) -> String {
    match c {
        Cell::Value(v) => fmt_value(*v),
        Cell::Na(_) => "n/a".into(),
        Cell::Hung => "**hung**".into(),
        Cell::Skipped => "skipped".into(),
    }
}

/// The markdown table of one section, with the notes explaining its `n/a` cells.
pub fn section_markdown(s: &SectionResult, go: &GoResults) -> String {
    let go_applies = s.rows.iter().any(|r| go.rows.contains_key(&r.id));
    let mut out = String::new();
    let _ = writeln!(out, "### {}\n", s.title);
    let _ = write!(out, "| workload | cap | unit |");
    for name in &s.impls {
        let _ = write!(out, " {name} |");
    }
    let _ = write!(out, " ithaca / best peer |");
    if go_applies {
        let _ = write!(out, " Go | ithaca / Go |");
    }
    let _ = writeln!(out);
    let cols = 3 + s.impls.len() + 1 + if go_applies { 2 } else { 0 };
    let _ = writeln!(out, "|{}", "---|".repeat(cols));
    // Why cells are `n/a`: reason -> who.
    let mut notes: Vec<(String, Vec<String>)> = Vec::new();
    let mut note = |who: &str, why: &str| match notes.iter_mut().find(|(w, _)| w == why) {
        Some((_, names)) if names.iter().any(|n| n == who) => {}
        Some((_, names)) => names.push(who.into()),
        None => notes.push((why.into(), vec![who.into()])),
    };
    for r in &s.rows {
        let _ = write!(out, "| {} | {} | {} |", r.workload, r.cap, r.unit);
        for (name, c) in s.impls.iter().zip(&r.cells) {
            let _ = write!(out, " {} |", fmt_cell(c));
            if let Cell::Na(why) = c {
                note(name, why);
            }
        }
        match r.vs_best_peer {
            Some(x) => {
                let _ = write!(out, " {x:.2} |");
            }
            None => {
                let _ = write!(out, " — |");
            }
        }
        if go_applies {
            match go.rows.get(&r.id) {
                Some(GoCell::Value(v)) => {
                    let _ = write!(out, " {} |", fmt_value(*v));
                    match r.cells[0].value() {
                        Some(me) => {
                            let _ = write!(out, " {:.2} |", me / v);
                        }
                        None => {
                            let _ = write!(out, " — |");
                        }
                    }
                }
                Some(GoCell::Na(why)) => {
                    let _ = write!(out, " n/a | — |");
                    note("Go", why);
                }
                None => {
                    let _ = write!(out, " — | — |");
                }
            }
        }
        let _ = writeln!(out);
    }
    if !notes.is_empty() {
        let _ = writeln!(out, "\n`n/a`:");
        for (why, who) in &notes {
            let _ = writeln!(out, "* {}: {why}", who.join(", "));
        }
    }
    if s.rows
        .iter()
        .any(|r| r.cells.iter().any(|c| matches!(c, Cell::Hung)))
    {
        let _ = writeln!(
            out,
            "\n`hung`: a run did not finish within BENCH_TIMEOUT (a lost wake-up) and was \
             stopped by the watchdog; that implementation was not run again in the row."
        );
    }
    out
}

fn command_line(cmd: &str, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new(cmd).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The machine description: CPUs, CPU model, memory, rustc and Go versions, date.
pub fn machine_markdown(cfg: &Config, go: &GoResults) -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or("unknown".into(), |m| m.trim().to_owned());
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or("unknown".into(), |kb| {
            format!("{:.1} GiB", kb / 1024.0 / 1024.0)
        });
    let rustc = std::env::var("RUSTC_VERSION")
        .ok()
        .or_else(|| command_line("rustc", &["--version"]))
        .unwrap_or_else(|| "unknown".into());
    let date = command_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"]).unwrap_or_default();
    let go_line = match (&go.version, &go.missing) {
        (Some(v), None) => format!(
            "{v} (GOMAXPROCS {})",
            go.gomaxprocs.as_deref().unwrap_or("?")
        ),
        (_, Some(why)) => format!("missing: {why}"),
        (None, None) => "unknown".into(),
    };
    let mut out = String::new();
    let _ = writeln!(out, "| | |\n|---|---|");
    let _ = writeln!(out, "| CPUs (`nproc`) | {nproc} |");
    let _ = writeln!(out, "| CPU model | {model} |");
    let _ = writeln!(out, "| memory | {mem} |");
    let _ = writeln!(out, "| rustc | {rustc} |");
    let _ = writeln!(out, "| go | {go_line} |");
    let _ = writeln!(out, "| runtime workers | {} |", cfg.workers);
    let _ = writeln!(
        out,
        "| sizes, rounds | BENCH_SCALE={}, BENCH_ROUNDS={} |",
        cfg.scale, cfg.rounds
    );
    let _ = writeln!(out, "| date | {date} |");
    out
}

/// Whether this run is too small or too short to mean anything.
pub fn is_smoke(cfg: &Config) -> bool {
    cfg.scale < 1.0 || cfg.rounds < 3 || cfg.test_mode
}

/// The whole `docs/benchmarks.md`.
pub fn document(
    cfg: &Config,
    go: &GoResults,
    sections: &[SectionResult],
    plot_file: &str,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Benchmarks: ithaca vs Go vs the Rust crates\n");
    let _ = writeln!(
        out,
        "<!-- Generated by `scripts/bench.sh` (crates/ithaca-bench); do not edit by hand. -->\n"
    );
    if is_smoke(cfg) {
        let _ = writeln!(
            out,
            "> **Smoke run, not representative.** Generated with BENCH_SCALE={} and \
             BENCH_ROUNDS={} to prove the pipeline; the numbers below mean nothing. Run \
             `scripts/bench.sh` with the defaults on a quiet machine for the real report.\n",
            cfg.scale, cfg.rounds
        );
    }
    let _ = writeln!(
        out,
        "Regenerate with `scripts/bench.sh` (Go twin, then `cargo bench -p ithaca-bench`). \
         Every cell is a median; lower is better; ratios below 1 mean ithaca is faster (or \
         smaller).\n"
    );
    let _ = writeln!(out, "## Machine\n\n{}", machine_markdown(cfg, go));
    if let (Some(s), Some(r)) = (go.scale, go.rounds) {
        if s != cfg.scale || r != cfg.rounds {
            let _ = writeln!(
                out,
                "**Warning:** the Go results were made with BENCH_SCALE={s}, BENCH_ROUNDS={r}.\n"
            );
        }
    }
    let _ = writeln!(out, "## Plot\n");
    let _ = writeln!(
        out,
        "![ratios per workload]({plot_file})\n\n{}\n",
        plot_caption(go)
    );
    let _ = writeln!(out, "## Results\n");
    for s in sections {
        let _ = writeln!(out, "{}", section_markdown(s, go));
    }
    let _ = writeln!(out, "{}", include_str!("workloads.md"));
    let _ = writeln!(out, "{}", include_str!("shortfalls.md"));
    out
}

fn plot_caption(go: &GoResults) -> String {
    if go.present() {
        "Time (or memory) relative to Go, per workload, log scale: a bar left of 1 is faster \
         than Go. Rows without a Go number (thread flavour, unbounded capacity) are left out."
            .into()
    } else {
        "Go's numbers are missing: time (or memory) relative to the best Rust peer of each row, \
         log scale: a bar left of 1 is faster than the best peer."
            .into()
    }
}

/// One group of bars: a row label and `(implementation, ratio)` bars.
struct Group {
    label: String,
    bars: Vec<(&'static str, f64)>,
}

fn plot_groups(go: &GoResults, sections: &[SectionResult]) -> Vec<Group> {
    let mut groups = Vec::new();
    for s in sections {
        for r in &s.rows {
            let baseline = if go.present() {
                go.value(&r.id)
            } else {
                r.cells[1..]
                    .iter()
                    .filter_map(Cell::value)
                    .min_by(f64::total_cmp)
            };
            let Some(base) = baseline.filter(|b| *b > 0.0) else {
                continue;
            };
            let bars: Vec<_> = s
                .impls
                .iter()
                .zip(&r.cells)
                .filter_map(|(name, c)| c.value().map(|v| (*name, (v / base).max(1e-3))))
                .collect();
            if bars.is_empty() {
                continue;
            }
            groups.push(Group {
                label: r.id.clone(),
                bars,
            });
        }
    }
    groups
}

const PALETTE: [(&str, RGBColor); 8] = [
    ("ithaca", RGBColor(0xd6, 0x27, 0x28)),
    ("tokio", RGBColor(0x1f, 0x77, 0xb4)),
    ("crossbeam", RGBColor(0x2c, 0xa0, 0x2c)),
    ("flume", RGBColor(0xff, 0x7f, 0x0e)),
    ("kanal", RGBColor(0x94, 0x67, 0xbd)),
    ("async-channel", RGBColor(0x8c, 0x56, 0x4b)),
    ("tokio-mpsc", RGBColor(0x17, 0xbe, 0xcf)),
    ("other", RGBColor(0x7f, 0x7f, 0x7f)),
];

fn color(name: &str) -> RGBColor {
    PALETTE
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(PALETTE[7].1, |(_, c)| *c)
}

/// Renders the grouped horizontal bar chart of ratios (log scale) to `path` as SVG.
pub fn plot(
    path: &Path,
    go: &GoResults,
    sections: &[SectionResult],
    smoke: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let groups = plot_groups(go, sections);
    const BAR: f64 = 9.0; // pixels per bar
    const GAP: f64 = 10.0; // pixels between groups
    let total: f64 = groups
        .iter()
        .map(|g| g.bars.len() as f64 * BAR + GAP)
        .sum::<f64>()
        .max(BAR + GAP);
    let (left, top, bottom) = (250u32, 60u32, 50u32);
    const LEGEND: u32 = 150; // right margin that holds the legend
    let width = 1100u32;
    let height = total as u32 + top + bottom;
    let root = SVGBackend::new(path, (width, height)).into_drawing_area();
    root.fill(&WHITE)?;

    let (lo, hi) = groups
        .iter()
        .flat_map(|g| g.bars.iter().map(|b| b.1))
        .fold((1.0f64, 1.0f64), |(lo, hi), r| (lo.min(r), hi.max(r)));
    // At least 0.1 ..= 10, so that the decades around 1 are labelled.
    let (lo, hi) = ((lo / 1.5).min(0.08), (hi * 1.5).max(12.0));
    let title = format!(
        "{}{}",
        if go.present() {
            "ratio to Go (log scale; < 1 = better than Go)"
        } else {
            "ratio to the best Rust peer (log scale; Go missing)"
        },
        if smoke {
            " — SMOKE RUN, NOT REPRESENTATIVE"
        } else {
            ""
        }
    );
    let mut chart = ChartBuilder::on(&root)
        .caption(&title, ("sans-serif", 18))
        .margin_left(left)
        .margin_right(LEGEND)
        .margin_top(10)
        .x_label_area_size(bottom - 10)
        .build_cartesian_2d((lo..hi).log_scale(), 0.0..total)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .x_desc("ratio")
        .x_label_formatter(&|x| {
            if *x >= 1.0 {
                format!("{x:.0}")
            } else {
                format!("{x:.2}")
            }
        })
        .draw()?;

    // One series per implementation, so each gets one legend entry.
    let mut names: Vec<&'static str> = Vec::new();
    for g in &groups {
        for (n, _) in &g.bars {
            if !names.contains(n) {
                names.push(n);
            }
        }
    }
    let mut rects: HashMap<&'static str, Vec<Rectangle<(f64, f64)>>> = HashMap::new();
    let mut labels = Vec::new();
    let mut y = total;
    for g in &groups {
        let top_y = y;
        for (name, ratio) in &g.bars {
            let c = color(name);
            rects.entry(name).or_default().push(Rectangle::new(
                [(lo, y - BAR + 1.0), (*ratio, y)],
                c.filled(),
            ));
            y -= BAR;
        }
        labels.push((g.label.clone(), (top_y + y) / 2.0));
        y -= GAP;
    }
    for name in &names {
        chart.draw_series(rects.remove(name).unwrap_or_default())?;
    }
    // The baseline.
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(1.0, 0.0), (1.0, total)],
        BLACK.stroke_width(1),
    )))?;
    // The legend, in the right margin (pixel coordinates on the root).
    let lx = (width - LEGEND + 15) as i32;
    for (i, name) in names.iter().enumerate() {
        let ly = top as i32 + 16 * i as i32;
        root.draw(&Rectangle::new(
            [(lx, ly - 5), (lx + 12, ly + 5)],
            color(name).filled(),
        ))?;
        root.draw(&Text::new(
            name.to_string(),
            (lx + 18, ly - 6),
            ("sans-serif", 12).into_font(),
        ))?;
    }
    // Row labels, right-aligned against the plotting area, in pixel coordinates on the root.
    let style = TextStyle::from(("sans-serif", 12).into_font()).pos(
        plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Right,
            plotters::style::text_anchor::VPos::Center,
        ),
    );
    for (label, yc) in labels {
        let (px, py) = chart.backend_coord(&(lo, yc));
        root.draw(&Text::new(label, (px - 6, py), style.clone()))?;
    }
    root.present()?;
    Ok(())
}
