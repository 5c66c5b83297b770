//! `--demo`: a populated site to try Parley on, with printed passwords.

use diesel::prelude::*;

use crate::accounts::Role;
use crate::accounts::password::generate;
use crate::accounts::service::{OperatorUser, create_organization, upsert_operator_user};
use crate::db::schema::{blocked_domains, organizations};
use crate::db::{Db, now};
use crate::with_backend;

/// A demo account and its fresh password.
pub struct DemoAccount {
    pub role: &'static str,
    pub email: String,
    pub password: String,
}

/// Fills the site with demo organizations, accounts and a refused domain. Running it
/// again gives every demo account a new password and changes nothing else.
pub fn populate(db: &Db) -> anyhow::Result<Vec<DemoAccount>> {
    let mut conn = db.get_write()?;
    let c = &mut *conn;
    let pending_exists: i64 = organizations::table
        .filter(organizations::name.eq("Globex Industries"))
        .count()
        .get_result(c)?;
    if pending_exists == 0 {
        create_organization(c, "Globex Industries", "pending", &["globex.test".to_string()])
            .map_err(|e| anyhow::anyhow!("demo organization: {e:?}"))?;
    }
    let values = (
        blocked_domains::domain.eq("rival-corp.test"),
        blocked_domains::note.eq("Demo: a domain refused by the admin"),
        blocked_domains::created_at.eq(now()),
    );
    with_backend!(c, |c| diesel::insert_into(blocked_domains::table)
        .values(values)
        .on_conflict_do_nothing()
        .execute(c))?;
    let people = [
        (
            "admin",
            "admin@parley.test",
            "Ada Admin",
            Role::Admin,
            None,
            false,
        ),
        (
            "staff",
            "staff@parley.test",
            "Sam Support",
            Role::Staff,
            None,
            false,
        ),
        (
            "member (authorized contact)",
            "alice@acme.test",
            "Alice Anders",
            Role::Member,
            Some("Acme Corporation"),
            true,
        ),
        (
            "member",
            "bob@acme.test",
            "Bob Brown",
            Role::Member,
            Some("Acme Corporation"),
            false,
        ),
    ];
    let mut out = Vec::new();
    let mut ids = Vec::new();
    for (label, email, name, role, org, contact) in people {
        let password = generate();
        let user = OperatorUser {
            email: email.into(),
            name: name.into(),
            role,
            organization: org.map(str::to_string),
            authorized_contact: contact,
            password: password.clone(),
        };
        let made = upsert_operator_user(c, &user, true)
            .map_err(|e| anyhow::anyhow!("demo account {email}: {e:?}"))?;
        ids.push(made.id);
        out.push(DemoAccount {
            role: label,
            email: email.into(),
            password,
        });
    }
    let [_, staff, alice, bob] = ids[..] else {
        anyhow::bail!("demo accounts missing");
    };
    crate::db::write_transaction(c, |c| crate::forum::demo::populate(c, staff, alice, bob))
        .map_err(|e| anyhow::anyhow!("demo content: {e:?}"))?;
    // Sam is Acme's customer success manager: he keeps its authorized contacts.
    diesel::update(organizations::table.filter(organizations::name.eq("Acme Corporation")))
        .set(organizations::success_manager_id.eq(staff))
        .execute(c)
        .map_err(|e| anyhow::anyhow!("demo success manager: {e:?}"))?;
    crate::db::write_transaction(c, |c| crate::status::demo::demo(c, staff))
        .map_err(|e| anyhow::anyhow!("demo status page: {e:?}"))?;
    drop(conn);
    community(db)?;
    Ok(out)
}

/// Two hundred threads about the demo product (questions with accepted answers, a few
/// unanswered, knowledge articles), written for the demo: enough that a question typed
/// in a newcomer's own words finds the thread that answers it.
const THREADS: &str = include_str!("demo/threads.jsonl");

/// Imports [`THREADS`] once: a second start finds the first of them and leaves them be.
fn community(db: &Db) -> anyhow::Result<()> {
    use crate::db::schema::topics;
    let first: serde_json::Value = serde_json::from_str(THREADS.lines().next().unwrap_or("{}"))?;
    let title = first.get("title").and_then(|t| t.as_str()).unwrap_or_default();
    let there: i64 = {
        let mut c = db.get_read()?;
        topics::table
            .filter(topics::title.eq(title))
            .count()
            .get_result(&mut *c)?
    };
    if there > 0 {
        return Ok(());
    }
    let summary = crate::import::run(db, THREADS.as_bytes(), |_| {})?;
    if summary.skipped > 0 {
        anyhow::bail!(
            "demo threads: {} lines refused: {:?}",
            summary.skipped,
            summary.problems
        );
    }
    Ok(())
}

/// Prints the demo accounts.
pub fn print(accounts: &[DemoAccount], base_url: &url::Url) {
    println!();
    println!("Demo site ready at {base_url}");
    println!("Sign in with one of these accounts (passwords are new on every --demo start):");
    for a in accounts {
        println!("  {:<30} {:<22} {}", a.role, a.email, a.password);
    }
    println!(
        "Organizations: Acme Corporation (acme.test, approved), Globex Industries (globex.test, pending)."
    );
    println!("Try signing up with a gmail.com address, then with name@acme.test or name@yourcompany.test.");
    println!("Mail is written to the data directory's mail/ folder.");
    println!();
}
