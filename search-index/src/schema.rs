//! The fields of a document, and how their text is cut into terms.
//!
//! One document is one post. Its text is indexed twice: stemmed English words
//! (`title`, `body`), so that "backups failing" finds "backup failed", and exact
//! tokens (`title_exact`, `body_exact`) that keep error codes and versions whole:
//! `ERR-1042`, `0x80004005` and `4.2.1` are one term each there.

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    Language, LowerCaser, RegexTokenizer, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer,
};

/// Name of the stemmed English analyzer.
pub const STEMMED: &str = "parley_en";
/// Name of the analyzer that keeps codes and versions whole.
pub const EXACT: &str = "parley_exact";

/// A word, or words joined by `-`, `.`, `_`, `:` or `/` (`err-1042`, `4.2.1`).
const EXACT_PATTERN: &str = r"[\p{L}\p{N}]+(?:[-._:/][\p{L}\p{N}]+)*";

/// The fields, looked up once.
#[derive(Debug, Clone)]
pub struct Fields {
    pub post_id: Field,
    pub topic_id: Field,
    pub number: Field,
    /// 1 for a topic's opening post: suggestions and similar topics use only these.
    pub opening: Field,
    pub kind: Field,
    pub category: Field,
    pub product: Field,
    pub tags: Field,
    /// The topic's title, indexed on the opening post only, stored on every post.
    pub title: Field,
    pub title_exact: Field,
    pub topic_title: Field,
    pub slug: Field,
    pub body: Field,
    pub body_exact: Field,
    pub author: Field,
    pub author_name: Field,
    pub created_at: Field,
    pub votes: Field,
    /// 1 when the topic has an accepted answer.
    pub solved: Field,
    /// 1 on the accepted answer itself.
    pub accepted: Field,
    pub official: Field,
    pub status: Field,
}

fn text(analyzer: &str, stored: bool) -> TextOptions {
    let options = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(analyzer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    if stored { options.set_stored() } else { options }
}

/// Builds the schema and names its fields.
pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let fields = Fields {
        post_id: b.add_u64_field("post_id", INDEXED | STORED | FAST),
        topic_id: b.add_u64_field("topic_id", INDEXED | STORED | FAST),
        number: b.add_u64_field("number", STORED),
        opening: b.add_u64_field("opening", INDEXED | FAST),
        kind: b.add_text_field("kind", STRING | STORED),
        category: b.add_text_field("category", STRING | STORED | FAST),
        product: b.add_text_field("product", STRING | STORED),
        tags: b.add_text_field("tags", STRING | STORED),
        title: b.add_text_field("title", text(STEMMED, false)),
        title_exact: b.add_text_field("title_exact", text(EXACT, false)),
        topic_title: b.add_text_field("topic_title", STORED),
        slug: b.add_text_field("slug", STORED),
        body: b.add_text_field("body", text(STEMMED, true)),
        body_exact: b.add_text_field("body_exact", text(EXACT, false)),
        author: b.add_text_field("author", STRING | STORED),
        author_name: b.add_text_field("author_name", STORED),
        created_at: b.add_date_field("created_at", INDEXED | STORED | FAST),
        votes: b.add_i64_field("votes", STORED | FAST),
        solved: b.add_u64_field("solved", INDEXED | STORED | FAST),
        accepted: b.add_u64_field("accepted", INDEXED | STORED | FAST),
        official: b.add_u64_field("official", INDEXED | STORED | FAST),
        status: b.add_text_field("status", STRING | STORED),
    };
    (b.build(), fields)
}

/// Stemmed English words, lowercased; very long tokens (base64, hashes) dropped.
pub fn stemmed() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// Whole words and codes, lowercased, not stemmed.
pub fn exact() -> TextAnalyzer {
    // The pattern is a constant that compiles; a failure here is a bug caught by tests.
    let tokenizer =
        RegexTokenizer::new(EXACT_PATTERN).unwrap_or_else(|_| unreachable!("EXACT_PATTERN compiles"));
    TextAnalyzer::builder(tokenizer)
        .filter(RemoveLongFilter::limit(60))
        .filter(LowerCaser)
        .build()
}

/// The terms `analyzer` makes of `text`.
pub fn terms(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while let Some(token) = stream.next() {
        out.push(token.text.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_versions_stay_whole_in_the_exact_field() {
        let mut a = exact();
        assert_eq!(
            terms(&mut a, "Upgrade to 4.2.1 fixed ERR-1042 (0x80004005), HTTP 502."),
            [
                "upgrade",
                "to",
                "4.2.1",
                "fixed",
                "err-1042",
                "0x80004005",
                "http",
                "502"
            ]
        );
    }

    #[test]
    fn words_are_stemmed_in_the_text_fields() {
        let mut a = stemmed();
        assert_eq!(terms(&mut a, "Backups failing"), ["backup", "fail"]);
        assert_eq!(terms(&mut a, "ERR-1042"), ["err", "1042"]);
    }
}
