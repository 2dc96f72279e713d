//! Which CSV column holds which RESO field. MLS exports name their columns
//! freely ("MLS #", "Sq Ft", "Zip"); the default mapping knows the common
//! names, a column already named after a RESO field maps to itself, and a
//! mapping file (TOML, `"CSV header" = "ResoName"` under `[columns]`)
//! overrides either. Headers match ignoring case, spaces and punctuation.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The RESO fields the listing model reads (others are kept as they come).
pub const RESO_FIELDS: [&str; 22] = [
    "ListingKey",
    "ListingId",
    "StandardStatus",
    "PropertyType",
    "ListPrice",
    "ClosePrice",
    "BedroomsTotal",
    "BathroomsTotalInteger",
    "BathroomsTotalDecimal",
    "LivingArea",
    "YearBuilt",
    "UnparsedAddress",
    "City",
    "StateOrProvince",
    "PostalCode",
    "Latitude",
    "Longitude",
    "ListingContractDate",
    "CloseDate",
    "DaysOnMarket",
    "ModificationTimestamp",
    "PublicRemarks",
];

/// Common export headers and the RESO field each means.
const COMMON: &[(&str, &str)] = &[
    ("MLS #", "ListingId"),
    ("MLS Number", "ListingId"),
    ("MLS ID", "ListingId"),
    ("Listing ID", "ListingId"),
    ("Listing Key", "ListingKey"),
    ("Key", "ListingKey"),
    ("Status", "StandardStatus"),
    ("Price", "ListPrice"),
    ("Asking Price", "ListPrice"),
    ("Sold Price", "ClosePrice"),
    ("Sale Price", "ClosePrice"),
    ("Beds", "BedroomsTotal"),
    ("Bedrooms", "BedroomsTotal"),
    ("BR", "BedroomsTotal"),
    ("Baths", "BathroomsTotalInteger"),
    ("Bathrooms", "BathroomsTotalInteger"),
    ("BA", "BathroomsTotalInteger"),
    ("Sq Ft", "LivingArea"),
    ("Square Feet", "LivingArea"),
    ("Address", "UnparsedAddress"),
    ("Street Address", "UnparsedAddress"),
    ("State", "StateOrProvince"),
    ("Zip", "PostalCode"),
    ("Zip Code", "PostalCode"),
    ("Lat", "Latitude"),
    ("Lng", "Longitude"),
    ("Lon", "Longitude"),
    ("Long", "Longitude"),
    ("List Date", "ListingContractDate"),
    ("Sold Date", "CloseDate"),
    ("DOM", "DaysOnMarket"),
    ("Modified", "ModificationTimestamp"),
    ("Last Modified", "ModificationTimestamp"),
    ("Remarks", "PublicRemarks"),
    ("Description", "PublicRemarks"),
    ("Type", "PropertyType"),
    // RETS 1.x standard names.
    ("ListingStatus", "StandardStatus"),
    ("ListingID", "ListingId"),
    ("SquareFeet", "LivingArea"),
    ("Bedrooms", "BedroomsTotal"),
    ("Bathrooms", "BathroomsTotalInteger"),
    ("ZipCode", "PostalCode"),
    ("ListDate", "ListingContractDate"),
    ("ClosingDate", "CloseDate"),
    ("SoldDate", "CloseDate"),
    ("SoldPrice", "ClosePrice"),
    ("LastModifiedDateTime", "ModificationTimestamp"),
];

/// Lowercase letters and digits only: "Sq. Ft." and "sqft" are one header.
pub fn squash(header: &str) -> String {
    header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// CSV header → RESO field name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    columns: BTreeMap<String, String>,
}

impl Default for Mapping {
    /// The common export names, and every RESO field name as itself.
    fn default() -> Self {
        let mut columns = BTreeMap::new();
        for field in RESO_FIELDS {
            columns.insert(squash(field), field.to_string());
        }
        for (header, field) in COMMON {
            columns.insert(squash(header), field.to_string());
        }
        Mapping { columns }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    columns: BTreeMap<String, String>,
}

impl Mapping {
    /// The default mapping with a mapping file's columns on top. Errors say
    /// what is wrong with the file, in words.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let file: MappingFile = toml::from_str(text).map_err(|e| {
            format!("the mapping file is not valid: {e} (expected [columns] with \"CSV header\" = \"ResoName\" lines)")
        })?;
        let mut mapping = Mapping::default();
        for (header, field) in file.columns {
            let field = field.trim();
            if field.is_empty() || !field.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(format!(
                    "the mapping file maps '{header}' to '{field}', which is not a RESO field name (e.g. ListPrice)"
                ));
            }
            mapping.columns.insert(squash(&header), field.to_string());
        }
        Ok(mapping)
    }

    /// Only these pairs (a server's field name → RESO name), nothing
    /// guessed: for RETS, where a system name that looks like a common
    /// header ("Bedrooms" holding "2 Bed") must not become a typed RESO
    /// field unless metadata or the user says so.
    pub fn exact<'a>(pairs: impl IntoIterator<Item = (&'a String, &'a String)>) -> Self {
        Mapping {
            columns: pairs
                .into_iter()
                .map(|(k, v)| (squash(k), v.trim().to_string()))
                .collect(),
        }
    }

    /// The RESO name the mapping gives `header`, if it gives one.
    pub fn get(&self, header: &str) -> Option<&str> {
        self.columns.get(&squash(header)).map(String::as_str)
    }

    /// The file's own pairs (header → RESO name), without the defaults.
    pub fn file_pairs(text: &str) -> Result<Vec<(String, String)>, String> {
        let file: MappingFile = toml::from_str(text).map_err(|e| {
            format!("the mapping file is not valid: {e} (expected [columns] with \"field\" = \"ResoName\" lines)")
        })?;
        Ok(file.columns.into_iter().collect())
    }

    /// The RESO name for a CSV header; an unknown header keeps its own name
    /// (so its values are kept under it).
    pub fn field_for(&self, header: &str) -> String {
        self.columns
            .get(&squash(header))
            .cloned()
            .unwrap_or_else(|| header.trim().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_headers_reso_names_and_unknown_columns() {
        let m = Mapping::default();
        assert_eq!(m.field_for("MLS #"), "ListingId");
        assert_eq!(m.field_for("Sq. Ft."), "LivingArea");
        assert_eq!(m.field_for("zip code"), "PostalCode");
        assert_eq!(m.field_for("ListPrice"), "ListPrice");
        assert_eq!(m.field_for("LIST PRICE"), "ListPrice");
        assert_eq!(m.field_for(" Pool? "), "Pool?");
    }

    #[test]
    fn a_mapping_file_overrides_and_bad_files_say_why() {
        let m = Mapping::from_toml("[columns]\n\"Asking\" = \"ListPrice\"\n\"Zip\" = \"City\"\n")
            .expect("mapping");
        assert_eq!(m.field_for("asking"), "ListPrice");
        assert_eq!(m.field_for("Zip"), "City");
        assert_eq!(m.field_for("Beds"), "BedroomsTotal");
        let e = Mapping::from_toml("columns = 3").expect_err("bad");
        assert!(e.contains("[columns]"), "{e}");
        let e = Mapping::from_toml("[columns]\n\"Price\" = \"List Price!\"").expect_err("bad");
        assert!(e.contains("not a RESO field name"), "{e}");
        assert!(Mapping::from_toml("[colums]\n").is_err());
    }
}
