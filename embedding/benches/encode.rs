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
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = encode
}
criterion_main!(benches);
