//! CSV exports. The header row names the columns ([`Mapping`] turns them
//! into RESO fields); each later record is one listing. A record that does
//! not read — a field that is not a number or a date, a missing key, the
//! wrong number of columns, a key seen earlier in the file — is reported
//! with its line number (the line the record starts on, counting the
//! header as line 1). [`CsvReport::accept`] refuses the whole file when any
//! record is bad unless told to skip them, so nothing is half-imported.
//! Text may be UTF-8 (with or without a BOM), Latin-1 or Windows-1252.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::mapping::Mapping;
use porchlight_model::listing::Listing;
use porchlight_model::values::decode_text;

/// One record that did not read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub line: u64,
    /// The record's ListingKey, when it has one.
    pub listing_key: Option<String>,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.listing_key {
            Some(key) => write!(f, "line {} ({key}): {}", self.line, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

/// What reading a file found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CsvReport {
    pub listings: Vec<Listing>,
    pub errors: Vec<RowError>,
}

/// The file as a whole cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    #[error("the CSV file is empty: it needs a header row naming the columns")]
    Empty,
    #[error(
        "no column holds the listing's key: name one ListingKey or ListingId (or \"MLS #\"), or map one in a mapping file; the columns are {columns}"
    )]
    NoKeyColumn { columns: String },
    #[error("the CSV file cannot be read: {0}")]
    Unreadable(String),
    #[error(
        "{count} of the file's records do not read, so nothing was imported (skip them to import the rest):\n{listed}"
    )]
    BadRecords { count: usize, listed: String },
}

impl CsvReport {
    /// The listings to import: all of them when every record read; with
    /// `skip_bad`, the good ones; otherwise an error listing the bad ones.
    pub fn accept(self, skip_bad: bool) -> Result<Vec<Listing>, CsvError> {
        if self.errors.is_empty() || skip_bad {
            return Ok(self.listings);
        }
        const SHOWN: usize = 20;
        let mut listed: Vec<String> = self
            .errors
            .iter()
            .take(SHOWN)
            .map(|e| format!("  {e}"))
            .collect();
        if self.errors.len() > SHOWN {
            listed.push(format!("  … and {} more", self.errors.len() - SHOWN));
        }
        Err(CsvError::BadRecords {
            count: self.errors.len(),
            listed: listed.join("\n"),
        })
    }
}

/// Reads a CSV export with `mapping`. Without a ListingKey column, the
/// ListingId (the MLS number) is the key.
pub fn read(bytes: &[u8], mapping: &Mapping) -> Result<CsvReport, CsvError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let headers = reader
        .byte_headers()
        .map_err(|e| CsvError::Unreadable(e.to_string()))?
        .clone();
    if headers.is_empty() || headers.iter().all(|h| h.is_empty()) {
        return Err(CsvError::Empty);
    }
    let names: Vec<String> = headers.iter().map(decode_text).collect();
    let fields: Vec<String> = names.iter().map(|h| mapping.field_for(h)).collect();
    let has = |f: &str| fields.iter().any(|x| x == f);
    let key_from_id = !has("ListingKey");
    if key_from_id && !has("ListingId") {
        return Err(CsvError::NoKeyColumn {
            columns: names.join(", "),
        });
    }
    let mut report = CsvReport::default();
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    for record in reader.byte_records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or_default();
                report.errors.push(RowError {
                    line,
                    listing_key: None,
                    message: format!("unreadable record: {e}"),
                });
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or_default();
        if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            continue; // a blank line
        }
        if record.len() != fields.len() {
            report.errors.push(RowError {
                line,
                listing_key: None,
                message: format!(
                    "{} fields where the header has {} (a stray comma or an unclosed quote?)",
                    record.len(),
                    fields.len()
                ),
            });
            continue;
        }
        let values: Vec<String> = record.iter().map(decode_text).collect();
        let mut pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(String::as_str)
            .zip(values.iter().map(String::as_str))
            .collect();
        if key_from_id && let Some((_, id)) = pairs.iter().find(|(f, _)| *f == "ListingId") {
            pairs.push(("ListingKey", id));
        }
        match Listing::from_fields(pairs) {
            Ok(listing) => {
                if let Some(first) = seen.insert(listing.listing_key.clone(), line) {
                    report.errors.push(RowError {
                        line,
                        listing_key: Some(listing.listing_key),
                        message: format!("the same listing as line {first}"),
                    });
                } else {
                    report.listings.push(listing);
                }
            }
            Err(errors) => {
                let key = fields
                    .iter()
                    .zip(&values)
                    .find(|(f, v)| {
                        (*f == "ListingKey" || (key_from_id && *f == "ListingId"))
                            && !v.trim().is_empty()
                    })
                    .map(|(_, v)| v.trim().to_string());
                let message = errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; ");
                report.errors.push(RowError {
                    line,
                    listing_key: key,
                    message,
                });
            }
        }
    }
    Ok(report)
}

/// Writes `listings` as CSV with RESO Data Dictionary names as the header:
/// the typed fields first, then every other field any listing has (sorted),
/// so `read` gets back what was written.
pub fn write<'a>(
    listings: impl IntoIterator<Item = &'a Listing> + Clone,
) -> Result<Vec<u8>, CsvError> {
    let mut others: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for l in listings.clone() {
        others.extend(l.other.keys().cloned());
    }
    let typed: Vec<&str> = crate::mapping::RESO_FIELDS
        .iter()
        .copied()
        .filter(|f| *f != "BathroomsTotalDecimal")
        .collect();
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let header: Vec<&str> = typed
        .iter()
        .copied()
        .chain(others.iter().map(String::as_str))
        .collect();
    let fail = |e: ::csv::Error| CsvError::Unreadable(e.to_string());
    w.write_record(&header).map_err(fail)?;
    for l in listings {
        let json = serde_json::to_value(l).map_err(|e| CsvError::Unreadable(e.to_string()))?;
        let mut row: Vec<String> = typed
            .iter()
            .map(|f| match &json[*f] {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect();
        row.extend(
            others
                .iter()
                .map(|k| l.other.get(k).cloned().unwrap_or_default()),
        );
        w.write_record(&row).map_err(fail)?;
    }
    w.into_inner()
        .map_err(|e| CsvError::Unreadable(e.to_string()))
}

#[cfg(test)]
mod tests;
