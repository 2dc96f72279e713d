//! The price and status of the teams' shared listings, on SQLite.

use rusqlite::{OptionalExtension, params};

use super::Inner;
use crate::store::{ListingUpdate, StoreError, ViewListing};

fn listing_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ViewListing> {
    Ok(ViewListing {
        key: r.get(0)?,
        list_price: r.get(1)?,
        status: r.get(2)?,
    })
}

impl Inner {
    pub(super) fn view_listings_of(
        &self,
        doc: &str,
        keys: Option<&[String]>,
    ) -> Result<Vec<ViewListing>, StoreError> {
        self.read(|c| {
            let mut out = Vec::new();
            match keys {
                None => {
                    let mut stmt = c.prepare_cached(
                        "SELECT listing_key, list_price, status FROM view_listings WHERE doc_id = ?1",
                    )?;
                    for row in stmt.query_map([doc], listing_row)? {
                        out.push(row?);
                    }
                }
                Some(keys) => {
                    let mut stmt = c.prepare_cached(
                        "SELECT listing_key, list_price, status FROM view_listings
                         WHERE doc_id = ?1 AND listing_key = ?2",
                    )?;
                    for k in keys {
                        if let Some(row) = stmt.query_row(params![doc, k], listing_row).optional()? {
                            out.push(row);
                        }
                    }
                }
            }
            Ok(out)
        })
    }

    pub(super) fn write_listings(&self, u: &ListingUpdate) -> Result<(), StoreError> {
        // The events first, in the outbox's file: if the view's write then
        // fails, the next refresh makes the same events (their ids come
        // from the change) and the outbox keeps one of each.
        if !u.events.is_empty() {
            self.write_outbox(|tx| super::webhooks::enqueue(tx, u.team, None, &u.events))?;
        }
        self.write(|tx| {
            let mut upsert = tx.prepare_cached(
                "INSERT INTO view_listings (doc_id, listing_key, team_id, list_price, status)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (doc_id, listing_key) DO UPDATE SET
                   list_price = excluded.list_price, status = excluded.status",
            )?;
            for l in &u.upsert {
                upsert.execute(params![u.doc, l.key, u.team, l.list_price, l.status])?;
            }
            let mut remove = tx.prepare_cached(
                "DELETE FROM view_listings WHERE doc_id = ?1 AND listing_key = ?2",
            )?;
            for k in &u.remove {
                remove.execute(params![u.doc, k])?;
            }
            Ok(())
        })
    }
}
