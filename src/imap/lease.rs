//! The mailbox's lease in the database: one reader at a time across the nodes.

use super::*;

/// Takes or renews the mailbox's lease for this node; false when another node holds it.
pub(super) async fn renew(db: &Db, node: &Node, imap: &ImapSettings) -> Result<bool, AppError> {
    let mailbox = imap.describe();
    let me = node.claims();
    db.write(move |c| {
        let at = now();
        let until = at + chrono::Duration::from_std(LEASE).unwrap_or_default();
        crate::with_backend!(c, |c| diesel::insert_into(mailbox_readers::table)
            .values((
                mailbox_readers::mailbox.eq(&mailbox),
                mailbox_readers::holder.eq(&me),
                mailbox_readers::lease_until.eq(until),
            ))
            .on_conflict(mailbox_readers::mailbox)
            .do_nothing()
            .execute(c))?;
        let held = diesel::update(
            mailbox_readers::table
                .filter(mailbox_readers::mailbox.eq(&mailbox))
                .filter(
                    mailbox_readers::holder
                        .eq(&me)
                        .or(mailbox_readers::lease_until.lt(at)),
                ),
        )
        .set((
            mailbox_readers::holder.eq(&me),
            mailbox_readers::lease_until.eq(until),
        ))
        .execute(c)?;
        Ok(held == 1)
    })
    .await
}

/// Gives the lease up, so that another node may read at once.
pub(super) async fn release(db: &Db, node: &Node, imap: &ImapSettings) {
    let mailbox = imap.describe();
    let me = node.claims();
    let _ = db
        .write(move |c| {
            diesel::delete(
                mailbox_readers::table
                    .filter(mailbox_readers::mailbox.eq(&mailbox))
                    .filter(mailbox_readers::holder.eq(&me)),
            )
            .execute(c)?;
            Ok(())
        })
        .await;
}
