-- Schema 7: an event reaches an endpoint once. The REST API and the view's
-- indexer can both see one change; they give it the same id, and the
-- outbox keeps one delivery per endpoint and id.
DELETE FROM deliveries WHERE id NOT IN (
    SELECT MIN(id) FROM deliveries GROUP BY webhook_id, event_id);
CREATE UNIQUE INDEX deliveries_once ON deliveries (webhook_id, event_id);
