//! Embeds lines of text: `embed MODEL_DIR < in.jsonl > out.jsonl`, each input line a JSON
//! object with "id" and "text", each output line the same "id" with its vector "v".
//! Prints the time per text and per token to standard error.

use std::io::{BufRead, Write};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .ok_or("usage: embed MODEL_DIR < in.jsonl")?;
    let start = Instant::now();
    let encoder = embedding::Encoder::load(std::path::Path::new(&dir))?;
    eprintln!("loaded in {:?}", start.elapsed());
    let started = Instant::now();
    let mut count = 0;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for line in std::io::stdin().lock().lines() {
        let rec: serde_json::Value = serde_json::from_str(&line?)?;
        let text = rec.get("text").and_then(|t| t.as_str()).unwrap_or_default();
        let v = encoder.embed(text);
        writeln!(out, "{}", serde_json::json!({"id": rec.get("id"), "v": v}))?;
        count += 1;
    }
    let took = started.elapsed();
    eprintln!("{count} texts in {took:?} ({:?} each)", took / count.max(1));
    Ok(())
}
