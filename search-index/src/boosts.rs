//! How much a match weighs by where it is found: one home for the boosts that the
//! search query (`query.rs`) and its fast plan (`plan.rs`) both score with, so that the
//! two rank alike. Every change here is measured on `benches/relevance/`.

/// A word (or phrase) in a title.
pub const TITLE: f32 = 3.0;
/// A word in a body.
pub const BODY: f32 = 1.0;
/// A code, version or other token matched whole in a title.
pub const TITLE_EXACT: f32 = 4.0;
/// A code matched whole in a body.
pub const BODY_EXACT: f32 = 1.5;
/// A word the index does not know, read as a near one in a title.
pub const TITLE_FUZZY: f32 = 1.5;
/// The same, in a body.
pub const BODY_FUZZY: f32 = 0.5;
