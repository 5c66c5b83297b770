//! The text a person wrote, whatever the shape of the message.

use super::*;

#[tokio::test]
async fn the_text_a_person_wrote_is_kept_whatever_the_shape_of_the_message() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    app.contact("ann@acme.test", "Acme").await;
    let ann = app.token("ann@acme.test", PW).await;
    let description = |t: &Value| t["ticket"]["description_markdown"].as_str().unwrap().to_string();

    // A message that starts with a bare "--" line is not all signature.
    let o = take(
        &app,
        &plain(
            "ann@acme.test",
            "Dashes first",
            "d1",
            "--\nThe importer skips every row after a blank line.\nIt started with 5.2.",
        ),
    )
    .await;
    assert_eq!(o.outcome, "ticket", "{o:?}");
    let t = ticket(&app, &ann, o.ticket_id.unwrap()).await;
    assert!(description(&t).contains("skips every row"), "{t}");

    // An image first, the text after it: the text is the description, the image kept.
    let gif = "R0lGODlhAQABAAAAACw=";
    let o = take(
        &app,
        &multipart(
            "ann@acme.test",
            "Screenshot of the error",
            "d2",
            "mixed",
            &[
                &format!("Content-Type: image/gif\nContent-Description: error dialog\nContent-Transfer-Encoding: base64\n\n{gif}"),
                "Content-Type: text/plain; charset=utf-8\n\nThe save button shows the dialog above every time.",
            ],
        ),
    )
    .await;
    assert_eq!(o.outcome, "ticket", "{o:?}");
    let t = ticket(&app, &ann, o.ticket_id.unwrap()).await;
    assert!(description(&t).contains("save button shows the dialog"), "{t}");
    let names: Vec<&str> = t["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["filename"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["error_dialog.gif"], "{t}");

    // A forwarded message is kept whole as an .eml; a part named without an extension
    // gets its type's.
    let forwarded = "From: ops@acme.test\nSubject: Disk alert\n\nThe disk is full.";
    let o = take(
        &app,
        &multipart(
            "ann@acme.test",
            "Fwd: Disk alert",
            "d3",
            "mixed",
            &[
                "Content-Type: text/plain\n\nForwarding the alert we got this morning.",
                &format!("Content-Type: message/rfc822\n\n{forwarded}"),
                "Content-Type: application/pdf; name=\"report\"\nContent-Disposition: attachment; filename=\"report\"\nContent-Transfer-Encoding: base64\n\nJVBERi0=",
            ],
        ),
    )
    .await;
    assert_eq!(o.outcome, "ticket", "{o:?}");
    assert!(
        !o.reason.as_deref().unwrap_or_default().contains("left out"),
        "{o:?}"
    );
    let t = ticket(&app, &ann, o.ticket_id.unwrap()).await;
    let mut names: Vec<&str> = t["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["filename"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["Disk_alert.eml", "report.pdf"], "{t}");

    // A broken multipart (the closing boundary misspelt, a part's headers in the text):
    // none of its structure reaches the note.
    let broken = "From: ann@acme.test\nSubject: Broken structure\nMessage-ID: <d4@mail.test>\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"outer\"\n\n--outer\nContent-Type: text/plain; charset=utf-8\n\nThe report page is blank since Monday.\n--inner-7f3a\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\nPHA+VGhlIHJlcG9ydCBwYWdlIGlzIGJsYW5rPC9wPg==\n--outer-\n";
    let o = take(&app, broken).await;
    assert_eq!(o.outcome, "ticket", "{o:?}");
    let d = description(&ticket(&app, &ann, o.ticket_id.unwrap()).await);
    assert!(d.contains("blank since Monday"), "{d}");
    assert!(
        !d.contains("Content-Type") && !d.contains("--inner") && !d.contains("PHA+"),
        "{d}"
    );

    // A second, malformed From line does not replace the first.
    let two_froms = "From: Ann <ann@acme.test>\nTo: help@vendor.test\nSubject: Two senders\nMessage-ID: <d5@mail.test>\nFrom : mallory@elsewhere.test\nContent-Type: text/plain\n\nThe sync job has not run since the upgrade.\n";
    let o = take(&app, two_froms).await;
    assert_eq!(o.outcome, "ticket", "{o:?}");
    let t = ticket(&app, &ann, o.ticket_id.unwrap()).await;
    assert!(description(&t).contains("sync job"), "{t}");

    // A reply with nothing new in it and no file: refused, not an empty note.
    let id = o.ticket_id.unwrap();
    let before = ticket(&app, &ann, id).await["events"].as_array().unwrap().len();
    let empty = plain(
        "ann@acme.test",
        &format!("Re: [#{id}] Two senders"),
        "d6",
        "On Mon, 23 Nov 2026 at 10:00, Support <help@vendor.test> wrote:\n> What version?",
    );
    let o = take(&app, &empty).await;
    assert_eq!(o.outcome, "refused", "{o:?}");
    assert!(o.reason.as_deref().unwrap().contains("no text"), "{o:?}");
    assert_eq!(
        ticket(&app, &ann, id).await["events"].as_array().unwrap().len(),
        before
    );
}
