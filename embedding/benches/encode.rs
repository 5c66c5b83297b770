//! What a question costs to encode, by length: run with
//! `PARLEY_EMBEDDING_MODEL=$(embedding/fetch-model.sh) cargo bench -p embedding`.
//! Figures in docs/BENCHMARKS.md.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};

fn encode(c: &mut Criterion) {
    let Some(dir) = std::env::var_os("PARLEY_EMBEDDING_MODEL") else {
        eprintln!("set PARLEY_EMBEDDING_MODEL to a model folder (embedding/fetch-model.sh)");
        return;
    };
    let e = embedding::Encoder::load(std::path::Path::new(&dir)).unwrap();
    let sentence = "the nightly backup stops with a timeout after the upgrade to 4.2 and ";
    for words in [8usize, 24, 64, 200] {
        let text: String = sentence
            .split_whitespace()
            .cycle()
            .take(words)
            .collect::<Vec<_>>()
            .join(" ");
        c.bench_function(&format!("encode {words} words"), |b| b.iter(|| e.embed(&text)));
    }
    // Sixteen different short questions (2 to 9 words), one at a time and in one pass.
    let words: Vec<&str> = sentence.split_whitespace().collect();
    let questions: Vec<Vec<u32>> = (0..16)
        .map(|i| {
            let n = 2 + i % 8;
            let text = (0..n)
                .map(|j| words[(i + j) % words.len()])
                .collect::<Vec<_>>()
                .join(" ");
            e.tokens(&text, 32)
        })
        .collect();
    let refs: Vec<&[u32]> = questions.iter().map(Vec::as_slice).collect();
    c.bench_function("encode 16 questions one at a time", |b| {
        b.iter(|| refs.iter().map(|q| e.embed_ids(q)).collect::<Vec<_>>())
    });
    c.bench_function("encode 16 questions in one pass", |b| {
        b.iter(|| e.embed_ids_many(&refs))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = encode
}
criterion_main!(benches);
