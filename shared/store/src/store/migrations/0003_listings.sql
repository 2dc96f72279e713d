-- The listing cache, materialized from listing-shard documents. One row per
-- listing with an MLS record or a team layer; `json` is the whole cached
-- listing (MLS record and team layer), so lists never load a document.
CREATE TABLE listings (
    id           INTEGER PRIMARY KEY,
    doc_id       TEXT NOT NULL,
    source       TEXT NOT NULL,
    listing_key  TEXT NOT NULL,
    in_mls       INTEGER NOT NULL,
    status       TEXT,
    property_type TEXT,
    list_price   REAL,
    close_price  REAL,
    beds         INTEGER,
    baths        REAL,
    living_area  REAL,
    year_built   INTEGER,
    city         TEXT,
    postal_code  TEXT,
    latitude     REAL,
    longitude    REAL,
    list_date    TEXT,
    close_date   TEXT,
    days_on_market INTEGER,
    modified     INTEGER,
    favourite    INTEGER NOT NULL,
    json         TEXT NOT NULL,
    UNIQUE (source, listing_key)
) STRICT;
CREATE INDEX listings_by_doc ON listings (doc_id);
CREATE INDEX listings_by_price ON listings (list_price);
CREATE INDEX listings_by_city ON listings (city COLLATE NOCASE);
CREATE INDEX listings_by_postal ON listings (postal_code);
CREATE INDEX listings_by_status ON listings (status);

-- Full-text index over address, city, remarks and the team's notes and tags;
-- rowid = listings.id.
CREATE VIRTUAL TABLE listings_fts USING fts5 (
    address, city, remarks, team,
    tokenize = 'unicode61 remove_diacritics 2'
);
