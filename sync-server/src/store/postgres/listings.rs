//! The price and status of the teams' shared listings, on PostgreSQL.

use tokio_postgres::Row;

use super::PgStore;
use crate::store::{ListingUpdate, StoreError, ViewListing};

fn listing_row(r: &Row) -> ViewListing {
    ViewListing {
        key: r.get(0),
        list_price: r.get(1),
        status: r.get(2),
    }
}

impl PgStore {
    pub(super) async fn pg_view_listings_of(
        &self,
        doc: &str,
        keys: Option<&[String]>,
    ) -> Result<Vec<ViewListing>, StoreError> {
        let c = self.client().await?;
        let rows = match keys {
            None => {
                c.query(
                    "SELECT listing_key, list_price, status FROM view_listings WHERE doc_id = $1",
                    &[&doc],
                )
                .await?
            }
            Some(keys) => {
                let keys = keys.to_vec();
                c.query(
                    "SELECT listing_key, list_price, status FROM view_listings
                     WHERE doc_id = $1 AND listing_key = ANY($2)",
                    &[&doc, &keys],
                )
                .await?
            }
        };
        Ok(rows.iter().map(listing_row).collect())
    }

    pub(super) async fn pg_write_listings(&self, u: &ListingUpdate) -> Result<(), StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let upsert = tx
            .prepare(
                "INSERT INTO view_listings (doc_id, listing_key, team_id, list_price, status)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (doc_id, listing_key) DO UPDATE SET
                   list_price = excluded.list_price, status = excluded.status",
            )
            .await?;
        for l in &u.upsert {
            tx.execute(
                &upsert,
                &[&u.doc, &l.key, &u.team, &l.list_price, &l.status],
            )
            .await?;
        }
        if !u.remove.is_empty() {
            tx.execute(
                "DELETE FROM view_listings WHERE doc_id = $1 AND listing_key = ANY($2)",
                &[&u.doc, &u.remove],
            )
            .await?;
        }
        super::webhooks::enqueue(&tx, u.team, None, &u.events).await?;
        tx.commit().await?;
        Ok(())
    }
}
