//! Thread vectors in the database: a thread's text, computing vectors on the
//! workers, and storing and reading them.

use super::*;

/// The threads the posts `ids` belong to.
pub fn topics_of_posts(c: &mut crate::db::AnyConnection, ids: &[i64]) -> anyhow::Result<Vec<i64>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(posts::table
        .filter(posts::id.eq_any(ids))
        .select(posts::topic_id)
        .distinct()
        .load(c)?)
}

/// The text of each public thread of `ids` (title, question, accepted answer), and the
/// length of its title, which the text starts with.
pub fn thread_texts(
    c: &mut crate::db::AnyConnection,
    ids: &[i64],
) -> anyhow::Result<HashMap<i64, (String, usize)>> {
    let heads: Vec<(i64, String, Option<i64>)> = topics::table
        .filter(topics::id.eq_any(ids))
        .filter(topics::deleted_at.is_null())
        .select((topics::id, topics::title, topics::accepted_post_id))
        .load(c)?;
    let accepted: Vec<i64> = heads.iter().filter_map(|h| h.2).collect();
    let bodies: Vec<(i64, i64, i64, String)> = posts::table
        .filter(posts::topic_id.eq_any(ids))
        .filter(posts::number.eq(1).or(posts::id.eq_any(&accepted)))
        .filter(posts::hidden.eq(false))
        .filter(posts::deleted_at.is_null())
        .select((posts::id, posts::topic_id, posts::number, posts::body_markdown))
        .load(c)?;
    let mut out = HashMap::new();
    for (topic, title, accepted) in heads {
        let Some(opening) = bodies.iter().find(|b| b.1 == topic && b.2 == 1) else {
            continue;
        };
        let title_len = title.len();
        let mut text = format!("{title}\n\n{}", crate::markdown::to_plain_text(&opening.3));
        if let Some(answer) = accepted.and_then(|a| bodies.iter().find(|b| b.0 == a && b.1 == topic)) {
            text.push_str("\n\n");
            text.push_str(&crate::markdown::to_plain_text(&answer.3));
        }
        out.insert(topic, (text, title_len));
    }
    Ok(out)
}

pub(super) type Stored = (i64, String, String, Vec<u8>);

/// The vectors of `texts`, in order, embedded by up to `workers` threads. Each thread
/// takes every `workers`-th text, so that long and short texts (a thread's whole text
/// and its title) are shared out evenly whatever their order.
pub(super) fn embed_all(encoder: &Encoder, texts: &[&str], workers: usize) -> anyhow::Result<Vec<Vec<f32>>> {
    let workers = workers.clamp(1, texts.len().max(1));
    if workers == 1 {
        return Ok(texts.iter().map(|t| encoder.embed(t)).collect());
    }
    std::thread::scope(|s| {
        let parts: Vec<_> = (0..workers)
            .map(|w| {
                s.spawn(move || {
                    texts
                        .iter()
                        .skip(w)
                        .step_by(workers)
                        .map(|t| encoder.embed(t))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut parts = parts
            .into_iter()
            .map(|p| p.join().map(Vec::into_iter))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| anyhow::anyhow!("a thread embedding texts stopped"))?;
        let mut out = Vec::with_capacity(texts.len());
        for i in 0..texts.len() {
            if let Some(v) = parts[i % workers].next() {
                out.push(v);
            }
        }
        Ok(out)
    })
}

/// Brings the vectors of `ids` up to date: read when stored for this model and text,
/// computed and stored otherwise, forgotten for threads that are not public. Computing
/// is the costly part: one node of a cluster at a time does it, and a node that waited
/// reads what the other one stored instead of computing it again.
pub(super) fn refresh(m: &Meaning, db: &Db, ids: &[i64]) -> anyhow::Result<()> {
    let unknown = look_up(m, db, ids)?;
    if unknown.is_empty() {
        return Ok(());
    }
    db.one_node_at_a_time(crate::db::locks::Job::Embedding, |waited| {
        // Another node may have stored them meanwhile.
        let unknown = if waited {
            let still: Vec<i64> = unknown.iter().map(|u| u.id).collect();
            look_up(m, db, &still)?
        } else {
            unknown
        };
        compute(m, db, unknown)
    })
}

/// A thread whose vectors are to be computed.
struct Unknown {
    id: i64,
    text: String,
    /// The length of the title the text starts with.
    title_len: usize,
    digest: String,
    /// The vector of the whole text, when stored without its title's (as before titles
    /// had one): only the title is left to compute.
    whole: Option<Vec<f32>>,
}

/// Sets the stored vectors of `ids` that are current, forgets the threads that are not
/// public (here and in the database), and returns the threads left to compute.
fn look_up(m: &Meaning, db: &Db, ids: &[i64]) -> anyhow::Result<Vec<Unknown>> {
    let (Some((encoder, model)), Some(vectors)) = (m.encoder.get(), m.vectors.get()) else {
        return Ok(Vec::new());
    };
    let (mut texts, stored) = {
        let mut c = db.get_read()?;
        let texts = thread_texts(&mut c, ids)?;
        let stored: Vec<Stored> = topic_vectors::table
            .filter(topic_vectors::topic_id.eq_any(ids))
            .select((
                topic_vectors::topic_id,
                topic_vectors::model,
                topic_vectors::digest,
                topic_vectors::vector,
            ))
            .load(&mut *c)?;
        (texts, stored)
    };
    let mut gone = Vec::new();
    let mut unknown = Vec::new();
    for &id in ids {
        let Some((text, title_len)) = texts.remove(&id) else {
            // Deleted or hidden: nothing derived from its text is kept.
            vectors.remove(id as u64);
            if stored.iter().any(|s| s.0 == id) {
                gone.push(id);
            }
            continue;
        };
        let digest = hex(&Sha256::digest(text.as_bytes()));
        let known = stored
            .iter()
            .find(|s| s.0 == id && &s.1 == model && s.2 == digest)
            .map(|s| from_bytes(&s.3));
        // Stored as the whole text's vector then the title's; a row of the whole alone
        // keeps it and computes the title's.
        let d = encoder.dimensions();
        let whole = match known {
            Some(v) if v.len() == 2 * d => {
                vectors.set(id as u64, &v[..d]);
                vectors.set_title(id as u64, &v[d..]);
                continue;
            }
            Some(v) if v.len() == d => Some(v),
            _ => None,
        };
        unknown.push(Unknown {
            id,
            text,
            title_len,
            digest,
            whole,
        });
    }
    if !gone.is_empty() {
        let mut c = db.get_write()?;
        diesel::delete(topic_vectors::table.filter(topic_vectors::topic_id.eq_any(&gone)))
            .execute(&mut *c)?;
    }
    Ok(unknown)
}

/// Computes and stores the vectors of `unknown`.
fn compute(m: &Meaning, db: &Db, unknown: Vec<Unknown>) -> anyhow::Result<()> {
    let (Some((encoder, model)), Some(vectors)) = (m.encoder.get(), m.vectors.get()) else {
        return Ok(());
    };
    if unknown.is_empty() {
        return Ok(());
    }
    // The whole text of each thread that needs it, then every title (a title is
    // short: a small part of the cost).
    let mut texts: Vec<&str> = unknown
        .iter()
        .filter(|u| u.whole.is_none())
        .map(|u| u.text.as_str())
        .collect();
    texts.extend(
        unknown
            .iter()
            .map(|u| u.text.get(..u.title_len).unwrap_or(&u.text)),
    );
    let mut computed = embed_all(encoder, &texts, m.workers)?.into_iter();
    let mut wholes = Vec::with_capacity(unknown.len());
    for u in &unknown {
        wholes.push(match &u.whole {
            Some(v) => v.clone(),
            None => computed.next().unwrap_or_default(),
        });
    }
    let mut fresh = Vec::new();
    for (u, whole) in unknown.iter().zip(wholes) {
        let title = computed.next().unwrap_or_default();
        vectors.set(u.id as u64, &whole);
        vectors.set_title(u.id as u64, &title);
        m.embedded.fetch_add(1, Ordering::Relaxed);
        let mut bytes = to_bytes(&whole);
        bytes.extend(to_bytes(&title));
        fresh.push((u.id, &u.digest, bytes));
    }
    let now = crate::db::now();
    let mut c = db.get_write()?;
    c.transaction::<_, anyhow::Error, _>(|c| {
        // A thread deleted meanwhile has no row to refer to: nothing to store for it.
        let fresh_ids: Vec<i64> = fresh.iter().map(|f| f.0).collect();
        let existing: Vec<i64> = topics::table
            .filter(topics::id.eq_any(&fresh_ids))
            .select(topics::id)
            .load(c)?;
        for (id, digest, bytes) in fresh.iter().filter(|f| existing.contains(&f.0)) {
            let row = (
                topic_vectors::topic_id.eq(id),
                topic_vectors::model.eq(model),
                topic_vectors::digest.eq(*digest),
                topic_vectors::vector.eq(bytes),
                topic_vectors::updated_at.eq(now),
            );
            crate::with_backend!(c, |c| diesel::insert_into(topic_vectors::table)
                .values(row)
                .on_conflict(topic_vectors::topic_id)
                .do_update()
                .set((
                    topic_vectors::model.eq(model),
                    topic_vectors::digest.eq(*digest),
                    topic_vectors::vector.eq(bytes),
                    topic_vectors::updated_at.eq(now),
                ))
                .execute(c))?;
        }
        Ok(())
    })?;
    Ok(())
}

pub(super) fn to_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

pub(super) fn from_bytes(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}
