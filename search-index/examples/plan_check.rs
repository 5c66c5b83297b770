//! Checks the fast plan of broad searches against full scoring on a real index, and
//! times both: each query of a file (one a line) is searched as a person would (the
//! plan applies), then with a filter that every post passes (which turns the plan off,
//! so every match is scored). The pages must agree score for score.
//!
//! Usage: `cargo run --release -p search-index --example plan_check -- INDEX_DIR
//! QUERIES_FILE [CATEGORIES]`, where INDEX_DIR is a build directory (`v4-0` under
//! `data/search-index`) and CATEGORIES, comma-separated, names every category of the
//! forum (default: the bench forum's). Prints the mean time of each and every query
//! whose page differs. With `PLAN_ONLY=1`, only the plan runs (to profile it); with
//! `SLOWEST=1`, the 25 slowest queries are printed, and how the time is spread; with
//! `THREADS=1`, the threads by words (the first half of suggestions) are timed too.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use search_index::{Results, SearchIndex, SearchQuery};
use std::path::Path;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, dir, queries, rest @ ..] = args.as_slice() else {
        eprintln!("usage: plan_check INDEX_DIR QUERIES_FILE [CATEGORIES]");
        std::process::exit(2);
    };
    let categories: Vec<String> = rest
        .first()
        .map_or("questions,knowledge,ideas,releases", String::as_str)
        .split(',')
        .map(str::to_string)
        .collect();
    let index = SearchIndex::open(Path::new(dir)).expect("open the index");
    let queries = std::fs::read_to_string(queries).expect("read the queries");
    let queries: Vec<&str> = queries.lines().filter(|l| !l.trim().is_empty()).collect();
    let ask = |text: &str, categories: Vec<String>| {
        let q = SearchQuery {
            text: text.to_string(),
            categories,
            limit: 20,
            ..SearchQuery::default()
        };
        let start = Instant::now();
        let results = index.search(&q).expect("search");
        (start.elapsed(), results)
    };
    // Once through to warm the page cache, untimed.
    for q in &queries {
        ask(q, Vec::new());
    }
    let (mut planned, mut full) = (Duration::ZERO, Duration::ZERO);
    let mut differ = 0;
    let plan_only = std::env::var("PLAN_ONLY").is_ok_and(|v| v == "1");
    let mut each = Vec::new();
    for q in &queries {
        let (t, a) = ask(q, Vec::new());
        planned += t;
        each.push((t, *q, a.total));
        if plan_only {
            continue;
        }
        let (t, b) = ask(q, categories.clone());
        full += t;
        if !same_page(&a, &b) {
            differ += 1;
            println!("differs: {q:?}\n  plan {:?}\n  full {:?}", scores(&a), scores(&b));
        }
    }
    let n = queries.len().max(1) as f64;
    if std::env::var("THREADS").is_ok_and(|v| v == "1") {
        let start = Instant::now();
        for q in &queries {
            index.related_by_words(q, None, 8).expect("threads");
        }
        println!(
            "threads by words: {:.3} ms a query",
            start.elapsed().as_secs_f64() * 1e3 / n
        );
    }
    each.sort();
    if std::env::var("SLOWEST").is_ok() {
        for (t, q, total) in each.iter().rev().take(25) {
            println!("{:.3} ms {q:?} ({total} matches)", t.as_secs_f64() * 1e3);
        }
        let mut acc = Duration::ZERO;
        for (i, (t, _, _)) in each.iter().enumerate() {
            acc += *t;
            if (i + 1) % (each.len() / 10).max(1) == 0 {
                println!(
                    "fastest {} queries: {:.1} % of the time",
                    i + 1,
                    acc.as_secs_f64() * 100.0 / planned.as_secs_f64()
                );
            }
        }
    }
    println!(
        "{} queries: plan {:.3} ms a query, full scoring {:.3} ms; {differ} pages differ",
        queries.len(),
        planned.as_secs_f64() * 1e3 / n,
        full.as_secs_f64() * 1e3 / n,
    );
}

fn scores(r: &Results) -> Vec<f32> {
    r.hits.iter().map(|h| h.score).collect()
}

/// Ties may fall either way, so the scores down the page must agree, and the totals
/// when they are exact (an estimate from a sample counts the title matches of the
/// plan exactly and those of full scoring on the sample).
fn same_page(a: &Results, b: &Results) -> bool {
    let (x, y) = (scores(a), scores(b));
    x.len() == y.len()
        && x.iter().zip(&y).all(|(p, q)| (p - q).abs() <= 1e-4 * q.abs())
        && a.approximate == b.approximate
        && (a.approximate || a.total == b.total)
        && a.matched == b.matched
}
