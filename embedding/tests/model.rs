//! The encoder with the real all-MiniLM-L6-v2 weights (the folder in
//! PARLEY_TEST_EMBEDDING_MODEL, which `.ci/run` fetches with `embedding/fetch-model.sh`):
//! sentences close in meaning are close, others are not, and a long text costs no more
//! than its first 256 tokens.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A failed step should stop a test loudly.

use embedding::{Encoder, cosine};

fn encoder() -> Option<Encoder> {
    let Some(dir) = std::env::var_os("PARLEY_TEST_EMBEDDING_MODEL") else {
        // CI must test it: .ci/run fetches the model and sets the variable.
        assert!(
            std::env::var_os("CI").is_none(),
            "PARLEY_TEST_EMBEDDING_MODEL is not set under CI"
        );
        eprintln!("PARLEY_TEST_EMBEDDING_MODEL is not set: the model is tested by .ci/run");
        return None;
    };
    Some(Encoder::load(std::path::Path::new(&dir)).unwrap())
}

#[test]
fn close_meanings_are_close() {
    let Some(e) = encoder() else { return };
    assert_eq!(e.dimensions(), 384);
    assert_eq!(e.max_tokens(), 256);
    let food = e.embed("A man is eating food.");
    let bread = e.embed("A man is eating a piece of bread.");
    let guitar = e.embed("A man is playing a guitar.");
    // The published similarity of this pair for all-MiniLM-L6-v2 is 0.7553.
    let c = cosine(&food, &bread);
    assert!((c - 0.7553).abs() < 0.005, "{c}");
    assert!(cosine(&food, &guitar) < 0.3);
    let norm: f32 = food.iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-4);
    // The same text gives the same vector; case and accents do not matter.
    assert_eq!(e.embed("Café au lait"), e.embed("cafe AU LAIT"));
}

#[test]
fn a_long_text_is_cut_to_the_tokens_the_model_reads() {
    let Some(e) = encoder() else { return };
    let start = "Restoring a deleted file from the nightly snapshot. ";
    let long = format!("{start}{}", "and then some more words ".repeat(20_000));
    let cut = format!("{start}{}", "and then some more words ".repeat(60));
    assert!(cosine(&e.embed(&long), &e.embed(&cut)) > 0.999);
    assert!(e.embed("").iter().all(|x| x.is_finite()));
    assert!(e.embed("\u{0}\u{fffd}").iter().all(|x| x.is_finite()));
}

#[test]
fn texts_in_one_pass_get_the_vectors_they_get_alone() {
    let Some(e) = encoder() else { return };
    let texts = [
        "Proxy answers HTTP 502",
        "Why does the backup agent stop after the upgrade to 4.2.1 every night?",
        "SSO",
        "",
        "Log rotation fills the disk on the reporting node, and the alerts never fire",
    ];
    let ids: Vec<Vec<u32>> = texts.iter().map(|t| e.tokens(t, 32)).collect();
    let refs: Vec<&[u32]> = ids.iter().map(Vec::as_slice).collect();
    let alone: Vec<Vec<f32>> = refs.iter().map(|i| e.embed_ids(i)).collect();
    assert_eq!(e.embed_ids_many(&refs), alone);
    assert_eq!(e.embed_ids_many(&refs[1..2]), alone[1..2]);
    assert!(e.embed_ids_many(&[]).is_empty());
}
