//! The index end to end: what finds what, filters, ranking, snippets, suggestions,
//! and resuming from the last recorded change.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use search_index::{Match, Meaning, PostDoc, SearchError, SearchIndex, SearchQuery, Vectors, shown};

fn post(post_id: u64, topic_id: u64, number: u64, title: &str, body: &str) -> PostDoc {
    PostDoc {
        post_id,
        topic_id,
        number,
        kind: "questions".into(),
        category: "questions".into(),
        title: title.into(),
        slug: "slug".into(),
        body: body.into(),
        author: "ann".into(),
        author_name: "Ann".into(),
        created_at: 1_700_000_000 + post_id as i64,
        ..PostDoc::default()
    }
}

fn forum() -> (tempfile::TempDir, SearchIndex) {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    let mut w = index.writer(20_000_000).unwrap();
    let docs = [
        post(
            1,
            1,
            1,
            "Backups failing after upgrade",
            "Since 4.2.1 the nightly backup stops with ERR-1042.",
        ),
        post(2, 1, 2, "", "Set retention to 7 days and rerun the backup job."),
        post(
            3,
            2,
            1,
            "Installer error 0x80004005 on Windows",
            "The setup aborts with 0x80004005 at 40%.",
        ),
        post(
            4,
            3,
            1,
            "Proxy returns HTTP 502",
            "Behind nginx every call gives HTTP 502 Bad Gateway.",
        ),
        post(
            5,
            4,
            1,
            "Rotating logs",
            "Use logrotate with copytruncate; the disk was full.",
        ),
        PostDoc {
            kind: "knowledge".into(),
            category: "knowledge".into(),
            official: true,
            tags: vec!["Backup".into()],
            ..post(
                6,
                5,
                1,
                "How backups work",
                "Backups run nightly; a backup keeps 7 days.",
            )
        },
        PostDoc {
            accepted: true,
            solved: true,
            votes: 12,
            ..post(
                7,
                6,
                2,
                "",
                "The backup stops when the disk is full: free space first.",
            )
        },
        post(8, 6, 1, "Backup stops at night", "Nightly backup stops halfway."),
    ];
    for d in &docs {
        w.add(d).unwrap();
    }
    w.commit(41).unwrap();
    w.finish().unwrap();
    (dir, index)
}

fn ids(index: &SearchIndex, q: SearchQuery) -> Vec<u64> {
    index
        .search(&SearchQuery { limit: 20, ..q })
        .unwrap()
        .hits
        .iter()
        .map(|h| h.post_id)
        .collect()
}

fn text(t: &str) -> SearchQuery {
    SearchQuery {
        text: t.into(),
        ..SearchQuery::default()
    }
}

#[test]
fn stemmed_words_codes_and_versions() {
    let (_d, index) = forum();
    // "failing backups" finds "Backups failing" through stemming.
    assert!(ids(&index, text("failing backups")).contains(&1));
    // Codes and versions are found whole, not as their parts' common words.
    assert_eq!(ids(&index, text("ERR-1042")), [1]);
    assert_eq!(ids(&index, text("0x80004005")), [3]);
    assert_eq!(ids(&index, text("4.2.1")), [1]);
    assert_eq!(ids(&index, text("HTTP 502")), [4]);
    // A phrase must appear in order.
    assert_eq!(ids(&index, text("\"disk was full\"")), [5]);
}

#[test]
fn typos_are_forgiven_when_nothing_matches_as_typed() {
    let (_d, index) = forum();
    let r = index.search(&text("logrotte")).unwrap();
    assert_eq!(r.matched, Match::Typos);
    assert_eq!(r.hits[0].post_id, 5);
    let r = index.search(&text("instaler windows")).unwrap();
    assert_eq!(r.hits[0].post_id, 3);
}

#[test]
fn filters_by_category_tag_solved_author_and_date() {
    let (_d, index) = forum();
    let q = |f: fn(&mut SearchQuery)| {
        let mut q = text("backup");
        f(&mut q);
        ids(&index, q)
    };
    assert_eq!(q(|q| q.categories = vec!["knowledge".into()]), [6]);
    assert_eq!(q(|q| q.tag = Some("backup".into())), [6]);
    let solved = q(|q| q.solved = Some(true));
    assert_eq!(solved, [7]);
    assert!(q(|q| q.author = Some("bob".into())).is_empty());
    let mut recent = q(|q| q.since = Some(1_700_000_007));
    recent.sort();
    assert_eq!(recent, [7, 8]);
}

#[test]
fn accepted_answers_and_official_articles_rank_first_and_counts_cover_categories() {
    let (_d, index) = forum();
    let r = index
        .search(&SearchQuery {
            limit: 10,
            ..text("backup")
        })
        .unwrap();
    let order: Vec<u64> = r.hits.iter().map(|h| h.post_id).collect();
    let at = |id: u64| order.iter().position(|p| *p == id).unwrap();
    // The accepted, well-voted answer outranks a plain answer; the official article
    // outranks a question with the word in its title as well.
    assert!(at(7) < at(2), "{order:?}");
    assert!(at(6) < at(1), "{order:?}");
    let counts: std::collections::HashMap<_, _> = r.categories.iter().cloned().collect();
    assert_eq!(counts["knowledge"], 1);
    assert_eq!(counts["questions"], r.total as u64 - 1);
    // With a category chosen, the counts still show the others.
    let mut q = text("backup");
    q.categories = vec!["knowledge".into()];
    let r = index.search(&q).unwrap();
    assert_eq!(r.total, 1);
    assert!(r.categories.iter().any(|(c, _)| c == "questions"));
}

#[test]
fn snippets_mark_the_words_and_escape_the_text() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    let mut w = index.writer(20_000_000).unwrap();
    w.add(&post(
        1,
        1,
        1,
        "Markup",
        "Paste <script>alert(1)</script> into the backup field",
    ))
    .unwrap();
    w.commit(1).unwrap();
    let r = index.search(&text("backup")).unwrap();
    let html = &r.hits[0].snippet_html;
    assert!(html.contains("<mark>backup</mark>"), "{html}");
    assert!(
        html.contains("&lt;script&gt;") && !html.contains("<script>"),
        "{html}"
    );
}

#[test]
fn related_threads_rank_by_every_word_and_similar_topics_exclude_the_topic() {
    let (_d, index) = forum();
    let s = index.related("backups fail", None, None, 8).unwrap();
    assert_eq!(s[0].thread.topic_id, 1);
    let s = index.related("instal", None, None, 8).unwrap();
    assert_eq!(s[0].thread.topic_id, 2);
    assert!(index.related("   ", None, None, 8).unwrap().is_empty());
    let similar = index
        .related("Backups failing after upgrade", None, Some(1), 5)
        .unwrap();
    assert!(!similar.iter().any(|s| s.thread.topic_id == 1));
    assert!(
        similar
            .iter()
            .any(|s| s.thread.topic_id == 6 || s.thread.topic_id == 5)
    );
    // Shares run from 0 to 1, best first by score.
    assert!(similar.iter().all(|s| (0.0..=1.0).contains(&s.share)));
    assert!(similar.windows(2).all(|w| w[0].score >= w[1].score));
}

#[test]
fn meaning_finds_a_thread_without_its_words_and_the_cut_needs_meaning_to_agree() {
    let (_d, index) = forum();
    // Four directions of meaning: the proxy thread (3) and the log thread (4) have
    // their own, the backup thread (1) a third; the fourth is nobody's.
    let vectors = Vectors::new(4);
    vectors.set(1, &[0.0, 0.0, 1.0, 0.0]);
    vectors.set(3, &[1.0, 0.0, 0.0, 0.0]);
    vectors.set(4, &[0.0, 1.0, 0.0, 0.0]);
    let near_proxy = [0.96, 0.28, 0.0, 0.0];
    let meaning = Meaning {
        query: &near_proxy,
        threads: &vectors,
    };
    // No word of the question is in the proxy thread, yet it comes first, with the log
    // thread after it.
    let found = index
        .related("upstream keeps timing out", Some(meaning), None, 8)
        .unwrap();
    let order: Vec<u64> = found.iter().map(|r| r.thread.topic_id).collect();
    assert_eq!(order[..2], [3, 4], "{found:?}");
    assert!((found[0].cosine.unwrap() - 0.96).abs() < 1e-5);
    assert_eq!(found[0].share, 0.0);
    // The forms show the proxy thread (fit 0.96) and leave out the log thread (0.28).
    let kept: Vec<u64> = shown(found).iter().map(|r| r.thread.topic_id).collect();
    assert_eq!(kept, [3]);

    // Every word of the backup thread, but a meaning that is nobody's: a share alone
    // does not clear the cut.
    let elsewhere = [0.0, 0.0, 0.0, 1.0];
    let found = index
        .related(
            "backups fail",
            Some(Meaning {
                query: &elsewhere,
                threads: &vectors,
            }),
            None,
            8,
        )
        .unwrap();
    assert_eq!(found[0].thread.topic_id, 1);
    assert!(found[0].share > 0.9);
    assert!(shown(found).is_empty());

    // The topic being read is never its own similar topic, by meaning either.
    let own = [0.0, 0.0, 1.0, 0.0];
    let similar = index
        .related(
            "Backups failing after upgrade",
            Some(Meaning {
                query: &own,
                threads: &vectors,
            }),
            Some(1),
            5,
        )
        .unwrap();
    assert!(!similar.iter().any(|r| r.thread.topic_id == 1));
}

#[test]
fn deletes_remove_and_commits_record_the_last_change() {
    let (dir, index) = forum();
    assert_eq!(index.applied().unwrap(), Some(41));
    let mut w = index.writer(20_000_000).unwrap();
    // One writer at a time: a second one is refused, not waited for.
    let again = SearchIndex::open(dir.path()).unwrap();
    assert!(matches!(again.writer(20_000_000), Err(SearchError::Locked)));
    w.delete_topic(1);
    w.delete_post(3);
    w.commit(42).unwrap();
    assert!(ids(&index, text("ERR-1042")).is_empty());
    assert!(ids(&index, text("0x80004005")).is_empty());
    drop(w);
    // Reopened, the index knows where it stopped.
    let reopened = SearchIndex::open(dir.path()).unwrap();
    assert_eq!(reopened.applied().unwrap(), Some(42));
    assert!(ids(&reopened, text("logrotate")).contains(&5));
}

#[test]
fn broad_queries_are_counted_on_a_sample() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    let mut w = index.writer(50_000_000).unwrap();
    for id in 1..=30_000u64 {
        let category = if id % 3 == 0 { "knowledge" } else { "questions" };
        w.add(&PostDoc {
            category: category.into(),
            ..post(id, id, 1, "Backup question", "backup everywhere")
        })
        .unwrap();
    }
    w.add(&post(30_001, 30_001, 1, "Rare", "kavozu only here"))
        .unwrap();
    w.commit(1).unwrap();
    let broad = index
        .search(&SearchQuery {
            limit: 10,
            ..text("backup")
        })
        .unwrap();
    assert!(broad.approximate);
    // One bucket in 64 of 30,000 posts, scaled: within a few percent.
    assert!((28_000..=32_000).contains(&broad.total), "{}", broad.total);
    let counts: std::collections::HashMap<_, _> = broad.categories.iter().cloned().collect();
    assert!((8_000..=12_000).contains(&counts["knowledge"]), "{counts:?}");
    let narrow = index.search(&text("kavozu")).unwrap();
    assert!(!narrow.approximate);
    assert_eq!(narrow.total, 1);
}

/// Queries of plain words take their candidates from a pruned walk of the bodies and
/// the posts titled with a word; a filter that keeps every post scores every match
/// instead. Both must give the same page and the same exact total, whatever field
/// each word was found in, and a deleted post is in neither.
#[test]
fn broad_queries_narrowed_give_the_page_of_full_scoring() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    let mut w = index.writer(50_000_000).unwrap();
    let mut topic = 0;
    for id in 1..=9_000u64 {
        let number = if id % 10 == 1 {
            topic += 1;
            1
        } else {
            2
        };
        // "cluster" in every body, "restart" in every third, repeated in some; titles
        // of opening posts name "restart" or "cluster" alone, so that some posts match
        // one word in the title and the other in the body only.
        let repeats = " restart".repeat((id % 7) as usize);
        let body = match id % 3 {
            0 => format!("cluster node{id}{repeats} restart"),
            1 => format!("cluster node{id} waits"),
            _ => format!("node{id} restart{repeats}"),
        };
        let title = if id % 4 == 0 {
            "Cluster stuck"
        } else {
            "Restart loop"
        };
        w.add(&PostDoc {
            votes: (id % 11) as i64,
            accepted: id % 97 == 0,
            ..post(id, topic, number, title, &body)
        })
        .unwrap();
    }
    w.commit(1).unwrap();
    for words in ["cluster restart", "cluster", "restart cluster", "restrat cluster"] {
        let page = |filtered: bool| {
            index
                .search(&SearchQuery {
                    limit: 20,
                    categories: if filtered {
                        vec!["questions".into()]
                    } else {
                        vec![]
                    },
                    ..text(words)
                })
                .unwrap()
        };
        let (narrowed, full) = (page(false), page(true));
        // Many posts score the same here, and ties may fall either way: the scores
        // down the page are what must agree.
        let scores = |r: &search_index::Results| r.hits.iter().map(|h| h.score).collect::<Vec<_>>();
        let (a, b) = (scores(&narrowed), scores(&full));
        assert_eq!(a.len(), 20, "{words}");
        assert!(
            a.iter().zip(&b).all(|(x, y)| (x - y).abs() <= 1e-4 * y.abs()),
            "{words}: {a:?} against {b:?}"
        );
        assert_eq!(narrowed.total, full.total, "{words}");
        assert_eq!(narrowed.matched, full.matched, "{words}");
        assert_eq!(narrowed.approximate, full.approximate, "{words}");
    }
    let both = index.search(&text("cluster restart")).unwrap();
    assert!(!both.approximate, "counted exactly");
    // Every body with both, and the opening posts titled with one and holding the other.
    let expected = (1..=9_000u64)
        .filter(|id| {
            let body_cluster = id % 3 != 2;
            let body_restart = id % 3 != 1;
            let opening = id % 10 == 1;
            let title_cluster = opening && id % 4 == 0;
            let title_restart = opening && id % 4 != 0;
            (body_cluster || title_cluster) && (body_restart || title_restart)
        })
        .count();
    assert_eq!(both.total, expected);
    let fixed = index.search(&text("restrat cluster")).unwrap();
    assert_eq!(fixed.matched, Match::Typos);
    assert_eq!(fixed.total, expected);
    // Deleted opening posts stay in their segment until it is merged, marked deleted.
    drop(w);
    let mut w = index.writer(50_000_000).unwrap();
    for id in (1..=9_000u64).filter(|id| id % 10 == 1) {
        w.delete_post(id);
    }
    w.commit(2).unwrap();
    index.reload().unwrap();
    for words in ["cluster restart", "restart", "cluster"] {
        let page = index
            .search(&SearchQuery {
                limit: 50,
                ..text(words)
            })
            .unwrap();
        assert!(!page.hits.is_empty(), "{words}");
        assert!(
            page.hits.iter().all(|h| h.post_id % 10 != 1),
            "{words}: a deleted post"
        );
    }
}

/// Every kind of word the fast plan takes (codes, versions, words exact in a title,
/// words with punctuation, corrections) and deep pages give what scoring every match
/// gives: the same posts with the same scores, the same total and the same mode.
#[test]
fn the_plan_gives_what_full_scoring_gives_for_every_kind_of_word() {
    let (_dir, index) = forum();
    for words in [
        "ERR-1042",
        "ERR-1042's",
        "timeout,ERR-1042",
        "backup ERR-1042",
        "4.2.1 backup",
        "0x80004005 installer",
        "HTTP 502",
        "Backups",
        "backup stops",
        "nightly backups",
        "bakcup",
        "v2",
    ] {
        for offset in [0, 2] {
            let page = |categories: Vec<String>| {
                index
                    .search(&SearchQuery {
                        limit: 3,
                        offset,
                        categories,
                        ..text(words)
                    })
                    .unwrap()
            };
            let planned = page(vec![]);
            let full = page(vec!["questions".into(), "knowledge".into()]);
            let seen = |r: &search_index::Results| {
                r.hits
                    .iter()
                    .map(|h| (h.post_id, (h.score * 1e4).round() as i64))
                    .collect::<Vec<_>>()
            };
            assert_eq!(seen(&planned), seen(&full), "{words} from {offset}");
            assert_eq!(planned.total, full.total, "{words} from {offset}");
            assert_eq!(planned.matched, full.matched, "{words} from {offset}");
        }
    }
}
