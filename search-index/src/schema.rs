//! The fields of a document, and how their text is cut into terms.
//!
//! One document is one post. Its text is indexed twice: stemmed English words
//! (`title`, `body`), so that "backups failing" finds "backup failed", and exact
//! tokens (`title_exact`, `body_exact`) that keep error codes and versions whole:
//! `ERR-1042`, `0x80004005` and `4.2.1` are one term each there.
//!
//! The bodies of openings and accepted answers are indexed a third time, in
//! `thread_body` and `thread_body_exact`: the posts a thread is found by (`related`).
//! Their posting lists are a fraction of the body's, so finding threads walks those
//! instead of skipping through the lists of every post.

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer, Token, TokenStream,
    Tokenizer,
};

/// Name of the stemmed English analyzer.
pub const STEMMED: &str = "parley_en";
/// Name of the analyzer that keeps codes and versions whole.
pub const EXACT: &str = "parley_exact";
/// Name of the analyzer that keeps only codes and versions (tokens with a digit or a
/// joiner): the body's exact field, where plain words would only repeat the stems.
pub const CODES: &str = "parley_codes";

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
    /// `body`, on openings and accepted answers only, without positions.
    pub thread_body: Field,
    /// `body_exact`, on openings and accepted answers only, without positions.
    pub thread_body_exact: Field,
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
    /// `post_id % BUCKETS`: a fixed, even sample of the posts, for estimating counts.
    pub bucket: Field,
}

/// How many buckets the posts are spread over (see [`Fields::bucket`]).
pub const BUCKETS: u64 = 64;

fn text(analyzer: &str, stored: bool) -> TextOptions {
    let options = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(analyzer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    if stored { options.set_stored() } else { options }
}

/// Text indexed with term frequencies and field norms (for BM25) but no positions.
fn scored_only(analyzer: &str) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(analyzer)
            .set_index_option(IndexRecordOption::WithFreqs),
    )
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
        body_exact: b.add_text_field("body_exact", text(CODES, false)),
        thread_body: b.add_text_field("thread_body", scored_only(STEMMED)),
        thread_body_exact: b.add_text_field("thread_body_exact", scored_only(CODES)),
        author: b.add_text_field("author", STRING | STORED),
        author_name: b.add_text_field("author_name", STORED),
        created_at: b.add_date_field("created_at", INDEXED | STORED | FAST),
        votes: b.add_i64_field("votes", STORED | FAST),
        solved: b.add_u64_field("solved", INDEXED | STORED | FAST),
        accepted: b.add_u64_field("accepted", INDEXED | STORED | FAST),
        official: b.add_u64_field("official", INDEXED | STORED | FAST),
        status: b.add_text_field("status", STRING | STORED),
        bucket: b.add_u64_field("bucket", INDEXED),
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
    TextAnalyzer::builder(CodeTokenizer::default())
        .filter(RemoveLongFilter::limit(60))
        .filter(LowerCaser)
        .build()
}

/// Only the codes and versions among the exact tokens.
pub fn codes() -> TextAnalyzer {
    TextAnalyzer::builder(CodeTokenizer {
        codes_only: true,
        ..CodeTokenizer::default()
    })
    .filter(RemoveLongFilter::limit(60))
    .filter(LowerCaser)
    .build()
}

fn joins(c: char) -> bool {
    matches!(c, '-' | '.' | '_' | ':' | '/')
}

/// Cuts text into words and codes: runs of letters and digits, joined across single
/// `-`, `.`, `_`, `:` or `/` that stand between two of them (`err-1042`, `4.2.1`).
#[derive(Clone, Default)]
pub struct CodeTokenizer {
    token: Token,
    /// Keep only tokens with a digit or a joiner in them.
    codes_only: bool,
}

/// The tokens of one text.
pub struct CodeTokenStream<'a> {
    text: &'a str,
    at: usize,
    token: &'a mut Token,
    codes_only: bool,
}

impl Tokenizer for CodeTokenizer {
    type TokenStream<'a> = CodeTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> CodeTokenStream<'a> {
        self.token.reset();
        CodeTokenStream {
            text,
            at: 0,
            token: &mut self.token,
            codes_only: self.codes_only,
        }
    }
}

impl TokenStream for CodeTokenStream<'_> {
    fn advance(&mut self) -> bool {
        while self.advance_any() {
            if !self.codes_only || self.token.text.chars().any(|c| c.is_ascii_digit() || joins(c)) {
                return true;
            }
        }
        false
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

impl CodeTokenStream<'_> {
    /// The next token, code or not.
    fn advance_any(&mut self) -> bool {
        let rest = &self.text[self.at..];
        let Some((skip, _)) = rest.char_indices().find(|(_, c)| c.is_alphanumeric()) else {
            self.at = self.text.len();
            return false;
        };
        let start = self.at + skip;
        let mut end = start;
        let mut chars = self.text[start..].char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c.is_alphanumeric() {
                end = start + i + c.len_utf8();
            } else if joins(c) && chars.peek().is_some_and(|(_, n)| n.is_alphanumeric()) {
                continue;
            } else {
                break;
            }
        }
        self.at = end;
        self.token.text.clear();
        self.token.text.push_str(&self.text[start..end]);
        self.token.offset_from = start;
        self.token.offset_to = end;
        self.token.position = self.token.position.wrapping_add(1);
        true
    }
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
        let mut c = codes();
        assert_eq!(
            terms(&mut c, "Upgrade to 4.2.1 fixed ERR-1042 (0x80004005), HTTP 502."),
            ["4.2.1", "err-1042", "0x80004005", "502"]
        );
        let mut a = exact();
        // Joiners at the ends or doubled do not join; letters of any script do.
        assert_eq!(
            terms(&mut a, "-a--b- .x. /straße/ 4.2."),
            ["a", "b", "x", "straße", "4.2"]
        );
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
