//! The query paths on an index of 200,000 synthetic posts: search (a common word, a
//! rare word, two words, an error code, a misspelling, a phrase), suggest and similar,
//! by words and with meaning (a random unit vector of 384 dimensions per thread), and
//! the nearest threads by meaning among 100,000 and 1,000,000.
//! Run with `cargo bench -p search-index`; figures in docs/BENCHMARKS.md.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use search_index::{Meaning, PostDoc, SearchIndex, SearchQuery, Vectors};

const POSTS: u64 = 200_000;

/// A deterministic generator (xorshift) so every run indexes the same posts.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn build() -> (tempfile::TempDir, SearchIndex) {
    let words: Vec<String> = {
        let syllables = [
            "ba", "ce", "di", "fo", "gu", "ka", "le", "mi", "no", "pu", "ra", "se", "ti", "vo", "zu",
        ];
        let mut rng = Rng(7);
        (0..8000)
            .map(|_| {
                (0..2 + rng.next() % 3)
                    .map(|_| syllables[(rng.next() % 15) as usize])
                    .collect()
            })
            .collect()
    };
    let product = [
        "backup", "proxy", "timeout", "license", "export", "upgrade", "cluster", "token",
    ];
    let mut rng = Rng(42);
    let word = |rng: &mut Rng| -> String {
        if rng.next() % 10 < 3 {
            product[(rng.next() % 8) as usize].to_string()
        } else {
            // Roughly Zipf: small ranks far more often.
            let r = (rng.next() % 1000) as f64 / 1000.0;
            words[((words.len() as f64).powf(r) as usize).min(words.len() - 1)].clone()
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    let mut w = index.writer(200_000_000).unwrap();
    let mut topic = 0;
    for id in 1..=POSTS {
        let number = if id % 20 == 1 {
            topic += 1;
            1
        } else {
            2
        };
        let body: Vec<String> = (0..30).map(|_| word(&mut rng)).collect();
        let mut body = body.join(" ");
        if id % 50 == 0 {
            body.push_str(" fails with ERR-1042 on 4.2.1");
        }
        w.add(&PostDoc {
            post_id: id,
            topic_id: topic,
            number,
            kind: "questions".into(),
            category: if topic % 3 == 0 {
                "knowledge".into()
            } else {
                "questions".into()
            },
            title: format!(
                "{} {} {} after 4.2.{}",
                word(&mut rng),
                word(&mut rng),
                word(&mut rng),
                topic % 5
            ),
            slug: "t".into(),
            body,
            author: "user".into(),
            author_name: "User".into(),
            created_at: 1_700_000_000 + id as i64,
            votes: (rng.next() % 7) as i64 - 2,
            ..PostDoc::default()
        })
        .unwrap();
    }
    w.commit(POSTS as i64).unwrap();
    w.finish().unwrap();
    index.reload().unwrap();
    (dir, index)
}

fn queries(c: &mut Criterion) {
    let (_dir, index) = build();
    let mut group = c.benchmark_group("search");
    for (name, text) in [
        ("common word", "backup"),
        ("two common words", "backup timeout"),
        ("rare word", "kavozu"),
        ("error code", "ERR-1042"),
        ("misspelling", "licnese"),
        ("phrase", "\"fails with\""),
    ] {
        let q = SearchQuery {
            text: text.into(),
            limit: 20,
            ..SearchQuery::default()
        };
        group.bench_function(name, |b| b.iter(|| index.search(&q).unwrap()));
    }
    group.finish();
    c.bench_function("suggest a question", |b| {
        b.iter(|| {
            index
                .related("how do I fix the backup timeout", None, None, 8)
                .unwrap()
        })
    });
    c.bench_function("similar topics", |b| {
        b.iter(|| {
            index
                .related("backup timeout after upgrade", None, Some(1), 5)
                .unwrap()
        })
    });
}

/// Random unit vectors, one per thread from 1 to `threads`.
fn vectors(threads: u64) -> Vectors {
    let mut rng = Rng(11);
    let vs = Vectors::new(384);
    for t in 1..=threads {
        let mut v: Vec<f32> = (0..384)
            .map(|_| (rng.next() % 20_001) as f32 / 10_000.0 - 1.0)
            .collect();
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter_mut().for_each(|x| *x /= n);
        vs.set(t, &v);
    }
    vs
}

fn meaning(c: &mut Criterion) {
    let (_dir, index) = build();
    // More vectors than threads do no harm: the extra ones are never read back.
    let threads = vectors(100_000);
    let query = threads.get(42).unwrap();
    c.bench_function("suggest a question, with meaning", |b| {
        b.iter(|| {
            let m = Meaning {
                query: &query,
                threads: &threads,
            };
            index
                .related("how do I fix the backup timeout", Some(m), None, 8)
                .unwrap()
        })
    });
    c.bench_function("nearest 24 of 100,000 threads", |b| {
        b.iter(|| threads.nearest(&query, 24, None))
    });
    drop(threads);
    let million = vectors(1_000_000);
    c.bench_function("nearest 24 of 1,000,000 threads", |b| {
        b.iter(|| million.nearest(&query, 24, None))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = queries, meaning
}
criterion_main!(benches);
