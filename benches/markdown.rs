//! Rendering the worst posts: pathological markdown as large as a post may be (64 KiB),
//! beside an ordinary post. Run with `cargo bench --bench markdown`; figures in
//! docs/BENCHMARKS.md.

use std::collections::HashSet;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

/// The largest post body accepted (`forum::MAX_BODY`).
const POST: usize = 64 * 1024;

fn fill(piece: &str) -> String {
    piece.repeat(POST / piece.len())
}

fn render(c: &mut Criterion) {
    let ordinary = "## Upgrading\n\nRun `widgetctl upgrade` and then **restart** the agent. See \
                    https://example.com/docs for details, @ann.\n\n- one\n- two\n\n```\ncode\n```\n\n"
        .repeat(POST / 200);
    let cases = [
        ("ordinary post", ordinary),
        ("deep quotes (>)", fill(">")),
        ("deep ordered lists (1. )", fill("1. ")),
        (
            "deep bullet lists",
            (0..POST / 40)
                .map(|i| format!("{}- x\n", "  ".repeat(i % 2000)))
                .collect(),
        ),
        ("deep brackets ([)", fill("[")),
        ("deep emphasis (*a )", fill("*a ")),
        ("backticks", fill("`")),
        ("raw HTML <div>", fill("<div>")),
        ("links [a](b)", fill("[a](b) ")),
        ("table cells", format!("|a|b|\n|-|-|\n{}", fill("|x|y|\n"))),
    ];
    let known: HashSet<String> = ["ann".to_string()].into_iter().collect();
    let mut group = c.benchmark_group("render 64 KiB");
    group.sample_size(10);
    for (name, text) in &cases {
        let text = &text[..text.len().min(POST)];
        group.bench_function(*name, |b| {
            b.iter(|| parley::markdown::render(black_box(text), &known))
        });
    }
    group.finish();
}

criterion_group!(benches, render);
criterion_main!(benches);
