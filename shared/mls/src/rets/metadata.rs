//! RETS metadata in COMPACT form — `METADATA-RESOURCE`, `METADATA-CLASS`,
//! `METADATA-TABLE`, `METADATA-LOOKUP_TYPE` — and what it is for: turning a
//! search row (system names, lookup codes) into RESO fields. Lookups are
//! decoded here by their `Value`, so searches can ask for plain COMPACT.

use std::collections::BTreeMap;

use super::ReplyError;
use super::compact::table;
use super::text::{attribute, delimiter, read, sections, status};
use crate::mapping::Mapping;

/// One metadata row, by column name.
pub type Row = BTreeMap<String, String>;

/// The metadata a reply (or several, merged) carried.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    pub resources: Vec<Row>,
    /// (resource, row).
    pub classes: Vec<(String, Row)>,
    /// (resource, class, row).
    pub tables: Vec<(String, String, Row)>,
    /// (resource, lookup name) → Value → LongValue.
    pub lookups: BTreeMap<(String, String), BTreeMap<String, String>>,
}

/// Reads one GetMetadata reply (any of the four kinds, any number of
/// sections).
pub fn parse(bytes: &[u8]) -> Result<Metadata, ReplyError> {
    let (text, lower) = read(bytes);
    let (code, reply_text) = status(&text, &lower).map_err(ReplyError::NotRets)?;
    if code != 0 {
        return Err(ReplyError::Reply {
            code,
            text: reply_text,
        });
    }
    let delim = delimiter(&text, &lower);
    let mut m = Metadata::default();
    let rows = |body: &str| -> Result<Vec<Row>, ReplyError> {
        let (columns, rows, _bad) = table(body, &body.to_ascii_lowercase(), delim)?;
        Ok(rows
            .into_iter()
            .map(|r| columns.iter().cloned().zip(r).collect())
            .collect())
    };
    let attr = |tag: &str, name: &str| attribute(tag, name).unwrap_or_default();
    for (_, body) in sections(&text, &lower, "metadata-resource") {
        m.resources.extend(rows(body)?);
    }
    for (tag, body) in sections(&text, &lower, "metadata-class") {
        let resource = attr(tag, "Resource");
        m.classes
            .extend(rows(body)?.into_iter().map(|r| (resource.clone(), r)));
    }
    for (tag, body) in sections(&text, &lower, "metadata-table") {
        let (resource, class) = (attr(tag, "Resource"), attr(tag, "Class"));
        m.tables.extend(
            rows(body)?
                .into_iter()
                .map(|r| (resource.clone(), class.clone(), r)),
        );
    }
    for (tag, body) in sections(&text, &lower, "metadata-lookup_type") {
        let key = (attr(tag, "Resource"), attr(tag, "Lookup"));
        let values = m.lookups.entry(key).or_default();
        for r in rows(body)? {
            if let Some(value) = r.get("Value") {
                let long = r
                    .get("LongValue")
                    .filter(|v| !v.is_empty())
                    .or(r.get("ShortValue"))
                    .cloned()
                    .unwrap_or_else(|| value.clone());
                values.insert(value.clone(), long);
            }
        }
    }
    Ok(m)
}

impl Metadata {
    /// Adds another reply's metadata.
    pub fn merge(&mut self, other: Metadata) {
        self.resources.extend(other.resources);
        self.classes.extend(other.classes);
        self.tables.extend(other.tables);
        for (k, v) in other.lookups {
            self.lookups.entry(k).or_default().extend(v);
        }
    }

    /// The lookup names a class's table uses, for GetMetadata of each.
    pub fn lookup_names(&self, resource: &str, class: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .tables_of(resource, class)
            .filter_map(|r| r.get("LookupName").filter(|n| !n.is_empty()).cloned())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    fn tables_of<'a>(&'a self, resource: &'a str, class: &'a str) -> impl Iterator<Item = &'a Row> {
        self.tables
            .iter()
            .filter(move |(r, c, _)| {
                r.eq_ignore_ascii_case(resource) && c.eq_ignore_ascii_case(class)
            })
            .map(|(_, _, row)| row)
    }

    /// The resource's key field (system name), e.g. `ListingKey`.
    pub fn key_field(&self, resource: &str) -> Option<String> {
        self.resources
            .iter()
            .find(|r| {
                r.get("ResourceID")
                    .is_some_and(|id| id.eq_ignore_ascii_case(resource))
            })
            .and_then(|r| r.get("KeyField").cloned())
            .filter(|k| !k.is_empty())
    }

    /// How to read a class's search rows: each system name's RESO name —
    /// the connection's explicit `mapping` (system name → RESO name) when
    /// it names the field, else the metadata's StandardName when that is a
    /// RESO field, else the system name itself (kept as text; never
    /// guessed from a name that looks like a common header) — and its
    /// lookup, if any.
    pub fn decoder(&self, resource: &str, class: &str, mapping: &Mapping) -> Decoder {
        let standard = Mapping::default();
        let key = self.key_field(resource);
        let mut fields = BTreeMap::new();
        for row in self.tables_of(resource, class) {
            let Some(system) = row.get("SystemName").filter(|s| !s.is_empty()) else {
                continue;
            };
            let reso = if let Some(named) = mapping.get(system) {
                named.to_string()
            } else if key.as_deref() == Some(system.as_str()) {
                "ListingKey".to_string()
            } else {
                row.get("StandardName")
                    .filter(|s| !s.is_empty())
                    .map(|s| standard.field_for(s))
                    .filter(|s| crate::mapping::RESO_FIELDS.contains(&s.as_str()))
                    .unwrap_or_else(|| system.trim().to_string())
            };
            let interpretation = row.get("Interpretation").map(String::as_str).unwrap_or("");
            let lookup = row
                .get("LookupName")
                .filter(|n| !n.is_empty() && interpretation.starts_with("Lookup"))
                .and_then(|n| {
                    self.lookups
                        .iter()
                        .find(|((r, l), _)| r.eq_ignore_ascii_case(resource) && l == n)
                        .map(|(_, values)| values.clone())
                });
            fields.insert(
                system.clone(),
                DecodedField {
                    reso,
                    lookup,
                    multi: interpretation == "LookupMulti",
                },
            );
        }
        Decoder { fields }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct DecodedField {
    reso: String,
    lookup: Option<BTreeMap<String, String>>,
    multi: bool,
}

/// Reads search rows of one class into RESO (name, value) pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decoder {
    fields: BTreeMap<String, DecodedField>,
}

impl Decoder {
    /// The system name of the field that holds a RESO field (for the
    /// query, e.g. `ModificationTimestamp`).
    pub fn system_name(&self, reso: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(_, f)| f.reso == reso)
            .map(|(s, _)| s.as_str())
    }

    /// One row's (RESO name, value) pairs; a lookup code with no entry in
    /// the lookup stays as sent. Columns the metadata does not describe
    /// keep their own names.
    pub fn record(&self, columns: &[String], row: &[String]) -> Vec<(String, String)> {
        columns
            .iter()
            .zip(row)
            .map(|(column, value)| match self.fields.get(column) {
                None => (column.trim().to_string(), value.clone()),
                Some(f) => {
                    let decoded = match &f.lookup {
                        None => value.clone(),
                        Some(values) if f.multi => value
                            .split(',')
                            .map(str::trim)
                            .filter(|v| !v.is_empty())
                            .map(|v| values.get(v).map_or(v, String::as_str))
                            .collect::<Vec<_>>()
                            .join(", "),
                        Some(values) => values
                            .get(value.trim())
                            .cloned()
                            .unwrap_or_else(|| value.clone()),
                    };
                    (f.reso.clone(), decoded)
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESOURCE: &[u8] = b"<RETS ReplyCode=\"0\" ReplyText=\"V2.7.0 2315: Success\">\n<METADATA-RESOURCE Version=\"1.12.30\" Date=\"2026-01-01T00:00:00\">\n<COLUMNS>\tResourceID\tStandardName\tKeyField\tClassCount\t</COLUMNS>\n<DATA>\tProperty\tProperty\tLN\t2\t</DATA>\n<DATA>\tAgent\tAgent\tAgentID\t1\t</DATA>\n</METADATA-RESOURCE>\n</RETS>\n";

    const TABLE: &[u8] = b"<RETS ReplyCode=\"0\" ReplyText=\"ok\">\n<METADATA-TABLE Resource=\"Property\" Class=\"RES\" Version=\"1\">\n<COLUMNS>\tSystemName\tStandardName\tLongName\tInterpretation\tLookupName\t</COLUMNS>\n<DATA>\tLN\tListingID\tListing Number\t\t\t</DATA>\n<DATA>\tLP\tListPrice\tList Price\tNumber\t\t</DATA>\n<DATA>\tST\tListingStatus\tStatus\tLookup\tSTATUS\t</DATA>\n<DATA>\tFEAT\t\tFeatures\tLookupMulti\tFEATURES\t</DATA>\n<DATA>\tUPD\tModificationTimestamp\tUpdated\t\t\t</DATA>\n<DATA>\tZZ_VIEW\t\tView\t\t\t</DATA>\n</METADATA-TABLE>\n</RETS>\n";

    const LOOKUPS: &[u8] = b"<RETS ReplyCode=\"0\" ReplyText=\"ok\">\n<METADATA-LOOKUP_TYPE Resource=\"Property\" Lookup=\"STATUS\">\n<COLUMNS>\tLongValue\tShortValue\tValue\t</COLUMNS>\n<DATA>\tActive\tAct\tA\t</DATA>\n<DATA>\tSold\tSld\tS\t</DATA>\n</METADATA-LOOKUP_TYPE>\n<METADATA-LOOKUP_TYPE Resource=\"Property\" Lookup=\"FEATURES\">\n<COLUMNS>\tLongValue\tShortValue\tValue\t</COLUMNS>\n<DATA>\tPool\tPL\tP\t</DATA>\n<DATA>\tGarage\tGR\tG\t</DATA>\n</METADATA-LOOKUP_TYPE>\n</RETS>\n";

    fn metadata() -> Metadata {
        let mut m = parse(RESOURCE).expect("resource");
        m.merge(parse(TABLE).expect("table"));
        m.merge(parse(LOOKUPS).expect("lookups"));
        m
    }

    #[test]
    fn resource_class_table_and_lookups_read() {
        let m = metadata();
        assert_eq!(m.key_field("Property").as_deref(), Some("LN"));
        assert_eq!(m.tables.len(), 6);
        assert_eq!(m.lookup_names("Property", "RES"), ["FEATURES", "STATUS"]);
        assert_eq!(
            m.lookups[&("Property".to_string(), "STATUS".to_string())]["S"],
            "Sold"
        );
        let classes = parse(b"<RETS ReplyCode=\"0\"><METADATA-CLASS Resource=\"Property\"><COLUMNS>\tClassName\tStandardName\t</COLUMNS><DATA>\tRES\tResidentialProperty\t</DATA></METADATA-CLASS></RETS>")
            .expect("class");
        assert_eq!(classes.classes[0].0, "Property");
        assert_eq!(classes.classes[0].1["ClassName"], "RES");
    }

    #[test]
    fn rows_decode_to_reso_names_with_lookups_by_value() {
        let d = metadata().decoder("Property", "RES", &Mapping::default());
        assert_eq!(d.system_name("ModificationTimestamp"), Some("UPD"));
        let columns: Vec<String> = ["LN", "LP", "ST", "FEAT", "UPD", "ZZ_VIEW", "EXTRA"]
            .map(String::from)
            .to_vec();
        let row: Vec<String> = [
            "L1",
            "500000",
            "S",
            "P,G,X",
            "2026-11-01T10:00:00",
            "Lake",
            "e",
        ]
        .map(String::from)
        .to_vec();
        let fields = d.record(&columns, &row);
        let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("ListingKey"), Some("L1"));
        assert_eq!(get("ListPrice"), Some("500000"));
        assert_eq!(get("StandardStatus"), Some("Sold"));
        assert_eq!(get("FEAT"), Some("Pool, Garage, X"));
        assert_eq!(get("ModificationTimestamp"), Some("2026-11-01T10:00:00"));
        assert_eq!(get("ZZ_VIEW"), Some("Lake"));
        assert_eq!(get("EXTRA"), Some("e"));
        let listing = porchlight_model::Listing::from_fields(
            fields.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        )
        .expect("listing");
        assert_eq!(
            listing.standard_status,
            Some(porchlight_model::StandardStatus::Closed)
        );
    }

    #[test]
    fn errors_and_html() {
        assert!(matches!(
            parse(b"<RETS ReplyCode=\"20502\" ReplyText=\"Invalid Identifier\"/>"),
            Err(ReplyError::Reply { code: 20502, .. })
        ));
        assert!(matches!(
            parse(b"<html>oops</html>"),
            Err(ReplyError::NotRets(_))
        ));
        let empty = parse(
            b"<RETS ReplyCode=\"0\"><METADATA-TABLE Resource=\"Property\" Class=\"X\"/></RETS>",
        )
        .expect("empty");
        assert!(empty.tables.is_empty());
    }
}
