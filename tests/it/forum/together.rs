//! Many people writing the same rows at once.

use super::*;

/// The statuses of `n` calls made at the same moment.
pub(super) async fn at_once<F, Fut>(n: usize, call: F) -> Vec<StatusCode>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = (StatusCode, Value)>,
{
    futures_util::future::join_all((0..n).map(call))
        .await
        .into_iter()
        .map(|(status, _)| status)
        .collect()
}

#[tokio::test]
async fn many_writers_on_one_row_get_answers_not_errors() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    let ann = app.member_token("ann@acme.test").await;
    let mut people = Vec::new();
    for i in 0..16 {
        people.push(app.member_token(&format!("writer{i}@acme.test")).await);
    }
    let topic = ask(&app, &ann, "Sixteen people answer at once", "body", &[]).await;
    let tid = topic["topic"]["id"].as_i64().unwrap();

    // Sixteen replies to one topic: each gets its own number, none is lost.
    let statuses = at_once(16, |i| reply(&app, &people[i], tid, "an answer from someone")).await;
    assert!(statuses.iter().all(|s| *s == StatusCode::CREATED), "{statuses:?}");
    let (_, page) = app
        .call(Method::GET, &format!("/api/v1/topics/{tid}"), Some(&ann), None)
        .await;
    assert_eq!(page["topic"]["reply_count"], 16, "{page}");
    let mut numbers: Vec<i64> = page["replies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["number"].as_i64().unwrap())
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (2..=17).collect::<Vec<_>>());
    let answer = page["replies"][0]["id"].as_i64().unwrap();

    // One person's vote sent sixteen times at once (a double click, many times over)
    // counts once; sixteen people's votes count sixteen times.
    let app = &app;
    let vote = |token: String, value: i64| async move {
        let path = format!("/api/v1/posts/{answer}/vote");
        app.call(Method::PUT, &path, Some(&token), Some(json!({"value": value})))
            .await
    };
    let statuses = at_once(16, |_| vote(ann.clone(), 1)).await;
    assert!(statuses.iter().all(|s| s.is_success()), "{statuses:?}");
    // Its author among the sixteen may not vote on it: one 403.
    let statuses = at_once(16, |i| vote(people[i].clone(), 1)).await;
    assert_eq!(
        statuses.iter().filter(|s| s.is_success()).count(),
        15,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::FORBIDDEN).count(),
        1,
        "{statuses:?}"
    );
    let (_, page) = app
        .call(Method::GET, &format!("/api/v1/topics/{tid}"), Some(&ann), None)
        .await;
    let score = page["replies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == answer)
        .unwrap()["score"]
        .clone();
    assert_eq!(score, 16, "{page}");

    // The asker accepts while others unaccept and accept again: one answer is accepted.
    let statuses = at_once(16, |i| {
        let path = format!("/api/v1/posts/{}/accept", page["replies"][i % 4]["id"]);
        let ann = ann.clone();
        async move { app.call(Method::POST, &path, Some(&ann), None).await }
    })
    .await;
    assert!(
        statuses
            .iter()
            .all(|s| s.is_success() || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
    let (_, after) = app
        .call(Method::GET, &format!("/api/v1/topics/{tid}"), Some(&ann), None)
        .await;
    assert!(after["accepted"]["id"].is_i64(), "{after}");

    // An idea voted by sixteen people at once, and by one person sixteen times.
    let idea = suggest(app, &ann, "Dark mode for the dashboard").await;
    let idea_vote = |token: String| async move {
        let path = format!("/api/v1/topics/{idea}/vote");
        app.call(Method::PUT, &path, Some(&token), Some(json!({"value": 1})))
            .await
    };
    let statuses = at_once(16, |i| idea_vote(people[i].clone())).await;
    assert!(statuses.iter().all(|s| s.is_success()), "{statuses:?}");
    let statuses = at_once(16, |_| idea_vote(ann.clone())).await;
    assert!(statuses.iter().all(|s| s.is_success()), "{statuses:?}");
    let (_, page) = app
        .call(Method::GET, &format!("/api/v1/topics/{idea}"), Some(&ann), None)
        .await;
    assert_eq!(page["idea"]["votes"], 17, "{page}");
}

#[tokio::test]
async fn sixty_four_people_at_once_each_get_an_answer_and_every_answer_counts() {
    use diesel::prelude::*;
    use parley::db::schema::{post_revisions, post_votes, posts, topic_votes, topics};

    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    let ann = app.member_token("ann@acme.test").await;
    let mut people = Vec::new();
    for i in 0..32 {
        people.push(app.member_token(&format!("crowd{i}@acme.test")).await);
    }
    let topic = ask(&app, &ann, "Everyone answers this at once", "The question.", &[]).await;
    let tid = topic["topic"]["id"].as_i64().unwrap();
    let opening = topic["opening"]["id"].as_i64().unwrap();
    let (status, answer) = reply(&app, &people[31], tid, "An early answer.").await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let (_, page) = app
        .call(Method::GET, &format!("/api/v1/topics/{tid}"), Some(&ann), None)
        .await;
    let answer = page["replies"][0]["id"].as_i64().unwrap();
    let idea = suggest(&app, &ann, "Export the audit log as CSV").await;

    // Sixty-four calls at the same moment: replies, edits of one post, votes on one
    // answer and on one idea, and new questions.
    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    enum Kind {
        Reply,
        Edit,
        Vote,
        IdeaVote,
        Ask,
    }
    let kind = |i: usize| match i {
        0..16 => Kind::Reply,
        16..24 => Kind::Edit,
        24..40 => Kind::Vote,
        40..56 => Kind::IdeaVote,
        _ => Kind::Ask,
    };
    let app = &app;
    let statuses = at_once(64, |i| {
        let (ann, people) = (ann.clone(), people.clone());
        async move {
            match kind(i) {
                Kind::Reply => reply(app, &people[i], tid, &format!("Answer number {i}.")).await,
                Kind::Edit => {
                    let path = format!("/api/v1/posts/{opening}");
                    let body = json!({"body": format!("The question, edit {i}.")});
                    app.call(Method::PATCH, &path, Some(&ann), Some(body)).await
                }
                Kind::Vote => {
                    let path = format!("/api/v1/posts/{answer}/vote");
                    let token = &people[i - 24];
                    app.call(Method::PUT, &path, Some(token), Some(json!({"value": 1})))
                        .await
                }
                Kind::IdeaVote => {
                    let path = format!("/api/v1/topics/{idea}/vote");
                    let token = &people[i - 40 + 16];
                    app.call(Method::PUT, &path, Some(token), Some(json!({"value": 1})))
                        .await
                }
                Kind::Ask => {
                    let body = json!({
                        "category": "questions",
                        "title": format!("A crowd question number {i}"),
                        "body": "Asked with everyone else.",
                    });
                    app.call(Method::POST, "/api/v1/topics", Some(&people[i - 56]), Some(body))
                        .await
                }
            }
        }
    })
    .await;
    let answered = |s: &StatusCode| {
        s.is_success() || *s == StatusCode::CONFLICT || *s == StatusCode::UNPROCESSABLE_ENTITY
    };
    assert!(statuses.iter().all(answered), "{statuses:?}");
    let acknowledged = |k: Kind| {
        (0..64)
            .filter(|i| kind(*i) == k && statuses[*i].is_success())
            .count() as i64
    };

    // What the database holds is what was acknowledged, no more and no less.
    let counts = app
        .state
        .db
        .read(move |c| {
            let replies: Vec<i64> = posts::table
                .filter(posts::topic_id.eq(tid))
                .filter(posts::number.gt(1))
                .select(posts::number)
                .order(posts::number.asc())
                .load(c)?;
            let revisions: i64 = post_revisions::table
                .filter(post_revisions::post_id.eq(opening))
                .count()
                .get_result(c)?;
            let votes: i64 = post_votes::table
                .filter(post_votes::post_id.eq(answer))
                .count()
                .get_result(c)?;
            let idea_votes: i64 = topic_votes::table
                .filter(topic_votes::topic_id.eq(idea))
                .count()
                .get_result(c)?;
            let asked: i64 = topics::table
                .filter(topics::title.like("A crowd question number %"))
                .count()
                .get_result(c)?;
            Ok((replies, revisions, votes, idea_votes, asked))
        })
        .await
        .unwrap();
    let (replies, revisions, votes, idea_votes, asked) = counts;
    // The early answer is number 2; each acknowledged reply has a number of its own.
    let expected: Vec<i64> = (2..=2 + acknowledged(Kind::Reply)).collect();
    assert_eq!(replies, expected);
    assert_eq!(revisions, acknowledged(Kind::Edit));
    assert_eq!(votes, acknowledged(Kind::Vote));
    assert_eq!(idea_votes, acknowledged(Kind::IdeaVote));
    assert_eq!(asked, acknowledged(Kind::Ask));
    // And in this run every call was acknowledged.
    assert_eq!(acknowledged(Kind::Reply) + acknowledged(Kind::Ask), 24);
}
