-- The meaning of each public thread as a sentence-embedding vector (title, question and
-- accepted answer), so that a question finds the thread that answers it in other words.
-- Derived data: computed once in the background for every node, recomputed when the
-- thread's text (its digest) or the model changes.
CREATE TABLE topic_vectors (
    topic_id BIGINT PRIMARY KEY REFERENCES topics (id) ON DELETE CASCADE,
    -- Which model made it; a vector of another model is not compared.
    model TEXT NOT NULL,
    -- SHA-256 of the text embedded.
    digest TEXT NOT NULL,
    -- Little-endian f32 values, unit length.
    vector BYTEA NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
