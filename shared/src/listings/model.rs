//! A listing as the cache keeps it: the RESO Data Dictionary fields every
//! view needs, typed, and every other field the source sent, as text under
//! its own name (nothing is dropped). Serialized with the RESO names.
//!
//! [`Listing::from_fields`] builds one from (RESO name, text) pairs — what a
//! CSV row, a RETS COMPACT-DECODED record or a flattened RESO Web API
//! record all come down to — and says which fields it could not read.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::values;

/// RESO `StandardStatus`. Feeds write it both as the OData member name
/// (`ActiveUnderContract`) and as its display name (`Active Under
/// Contract`); both read, and the member name is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum StandardStatus {
    Active,
    ActiveUnderContract,
    Pending,
    Closed,
    ComingSoon,
    Hold,
    Withdrawn,
    Expired,
    Canceled,
    Delete,
    Incomplete,
}

impl StandardStatus {
    pub const ALL: [StandardStatus; 11] = [
        Self::Active,
        Self::ActiveUnderContract,
        Self::Pending,
        Self::Closed,
        Self::ComingSoon,
        Self::Hold,
        Self::Withdrawn,
        Self::Expired,
        Self::Canceled,
        Self::Delete,
        Self::Incomplete,
    ];

    /// The OData member name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::ActiveUnderContract => "ActiveUnderContract",
            Self::Pending => "Pending",
            Self::Closed => "Closed",
            Self::ComingSoon => "ComingSoon",
            Self::Hold => "Hold",
            Self::Withdrawn => "Withdrawn",
            Self::Expired => "Expired",
            Self::Canceled => "Canceled",
            Self::Delete => "Delete",
            Self::Incomplete => "Incomplete",
        }
    }

    /// Either spelling, any case, spaces and punctuation ignored ("Active
    /// Under Contract", "active-under-contract", "ActiveUnderContract");
    /// "Cancelled" and "Sold" are read as the RESO values they mean.
    pub fn parse(text: &str) -> Option<Self> {
        let squashed: String = text
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        match squashed.as_str() {
            "cancelled" => return Some(Self::Canceled),
            "sold" => return Some(Self::Closed),
            "undercontract" => return Some(Self::ActiveUnderContract),
            _ => {}
        }
        Self::ALL
            .into_iter()
            .find(|s| s.as_str().to_lowercase() == squashed)
    }
}

/// One listing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Listing {
    /// The MLS's unique key for the listing.
    pub listing_key: String,
    /// The MLS number people quote.
    pub listing_id: Option<String>,
    pub standard_status: Option<StandardStatus>,
    pub property_type: Option<String>,
    pub list_price: Option<f64>,
    pub close_price: Option<f64>,
    pub bedrooms_total: Option<i64>,
    /// `BathroomsTotalInteger`, or `BathroomsTotalDecimal` when that is
    /// what the source sends.
    pub bathrooms_total_integer: Option<f64>,
    /// Square feet.
    pub living_area: Option<f64>,
    pub year_built: Option<i64>,
    pub unparsed_address: Option<String>,
    pub city: Option<String>,
    pub state_or_province: Option<String>,
    pub postal_code: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub listing_contract_date: Option<NaiveDate>,
    pub close_date: Option<NaiveDate>,
    pub days_on_market: Option<i64>,
    pub modification_timestamp: Option<DateTime<Utc>>,
    pub public_remarks: Option<String>,
    /// Every other field, by its name in the source.
    pub other: BTreeMap<String, String>,
}

/// A field that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

fn checked<T>(
    field: &str,
    read: Result<T, String>,
    ok: impl Fn(&T) -> bool,
    range: &str,
) -> Result<T, FieldError> {
    let error = |message: String| FieldError {
        field: field.to_string(),
        message,
    };
    let value = read.map_err(error)?;
    if ok(&value) {
        Ok(value)
    } else {
        Err(error(format!("out of range ({range})")))
    }
}

impl Listing {
    /// A listing from (RESO name, text) pairs. Empty text is no value.
    /// Fields that do not read are all reported; the listing is only made
    /// when every field reads and `ListingKey` is there.
    pub fn from_fields<'a>(
        fields: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Listing, Vec<FieldError>> {
        let mut l = Listing::default();
        let mut errors = Vec::new();
        for (name, text) in fields {
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            let s = || Some(text.to_string());
            let price = |f| checked(f, values::number(text), |n| *n >= 0.0, "0 or more").map(Some);
            let result: Result<(), FieldError> = (|| {
                match name {
                    "ListingKey" => l.listing_key = text.to_string(),
                    "ListingId" => l.listing_id = s(),
                    "StandardStatus" => {
                        l.standard_status = Some(StandardStatus::parse(text).ok_or_else(|| FieldError {
                            field: name.to_string(),
                            message: format!("'{text}' is not a RESO StandardStatus (e.g. Active, Active Under Contract, Pending, Closed)"),
                        })?)
                    }
                    "PropertyType" => l.property_type = s(),
                    "ListPrice" => l.list_price = price(name)?,
                    "ClosePrice" => l.close_price = price(name)?,
                    "BedroomsTotal" => {
                        l.bedrooms_total = Some(checked(name, values::whole(text), |n| (0..=200).contains(n), "0 to 200")?)
                    }
                    "BathroomsTotalInteger" | "BathroomsTotalDecimal" => {
                        l.bathrooms_total_integer = Some(checked(name, values::number(text), |n| (0.0..=200.0).contains(n), "0 to 200")?)
                    }
                    "LivingArea" => l.living_area = price(name)?,
                    "YearBuilt" => {
                        l.year_built = Some(checked(name, values::whole(text), |y| (1600..=2200).contains(y), "1600 to 2200")?)
                    }
                    "UnparsedAddress" => l.unparsed_address = s(),
                    "City" => l.city = s(),
                    "StateOrProvince" => l.state_or_province = s(),
                    "PostalCode" => l.postal_code = s(),
                    "Latitude" => {
                        l.latitude = Some(checked(name, values::number(text), |n| (-90.0..=90.0).contains(n), "-90 to 90")?)
                    }
                    "Longitude" => {
                        l.longitude = Some(checked(name, values::number(text), |n| (-180.0..=180.0).contains(n), "-180 to 180")?)
                    }
                    "ListingContractDate" => {
                        l.listing_contract_date = Some(checked(name, values::date(text), |_| true, "")?)
                    }
                    "CloseDate" => l.close_date = Some(checked(name, values::date(text), |_| true, "")?),
                    "DaysOnMarket" => {
                        l.days_on_market = Some(checked(name, values::whole(text), |n| *n >= 0, "0 or more")?)
                    }
                    "ModificationTimestamp" => {
                        l.modification_timestamp = Some(checked(name, values::timestamp(text), |_| true, "")?)
                    }
                    "PublicRemarks" => l.public_remarks = s(),
                    other => {
                        l.other.insert(other.to_string(), text.to_string());
                    }
                }
                Ok(())
            })();
            if let Err(e) = result {
                errors.push(e);
            }
        }
        if l.listing_key.is_empty() {
            errors.push(FieldError {
                field: "ListingKey".into(),
                message: "missing: every listing needs its MLS key".into(),
            });
        }
        if errors.is_empty() {
            Ok(l)
        } else {
            Err(errors)
        }
    }

    /// Price per square foot (close price for sold listings, else list
    /// price), when both are known.
    pub fn price_per_sqft(&self) -> Option<f64> {
        let price = self.close_price.or(self.list_price)?;
        let area = self.living_area.filter(|a| *a > 0.0)?;
        Some(price / area)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_enumeration_styles_read_as_the_member_name() {
        for text in [
            "ActiveUnderContract",
            "Active Under Contract",
            "active-under-contract",
            "Under Contract",
        ] {
            assert_eq!(
                StandardStatus::parse(text),
                Some(StandardStatus::ActiveUnderContract),
                "{text}"
            );
        }
        assert_eq!(
            StandardStatus::parse("Cancelled"),
            Some(StandardStatus::Canceled)
        );
        assert_eq!(StandardStatus::parse("SOLD"), Some(StandardStatus::Closed));
        assert_eq!(
            StandardStatus::parse("Coming Soon"),
            Some(StandardStatus::ComingSoon)
        );
        assert_eq!(StandardStatus::parse("Sort of active"), None);
        for s in StandardStatus::ALL {
            assert_eq!(StandardStatus::parse(s.as_str()), Some(s));
            let json = serde_json::to_string(&s).expect("json");
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
    }

    #[test]
    fn a_listing_reads_typed_fields_and_keeps_the_rest() {
        let l = Listing::from_fields([
            ("ListingKey", "K-100"),
            ("ListingId", "A12345"),
            ("StandardStatus", "Active Under Contract"),
            ("ListPrice", "$450,000"),
            ("BedroomsTotal", "3"),
            ("BathroomsTotalDecimal", "2.5"),
            ("LivingArea", "1,800"),
            ("YearBuilt", "1962"),
            ("City", " Denver "),
            ("Latitude", "39.7392"),
            ("Longitude", "-104.9903"),
            ("ListingContractDate", "11/02/2026"),
            ("ModificationTimestamp", "2026-11-20T10:00:00Z"),
            ("ClosePrice", ""),
            ("PoolPrivateYN", "true"),
        ])
        .expect("reads");
        assert_eq!(l.listing_key, "K-100");
        assert_eq!(l.standard_status, Some(StandardStatus::ActiveUnderContract));
        assert_eq!(l.list_price, Some(450_000.0));
        assert_eq!(l.bedrooms_total, Some(3));
        assert_eq!(l.bathrooms_total_integer, Some(2.5));
        assert_eq!(l.city.as_deref(), Some("Denver"));
        assert_eq!(l.close_price, None);
        assert_eq!(
            l.other.get("PoolPrivateYN").map(String::as_str),
            Some("true")
        );
        assert_eq!(l.price_per_sqft(), Some(250.0));
        let json = serde_json::to_value(&l).expect("json");
        assert_eq!(json["ListingKey"], "K-100");
        assert_eq!(json["StandardStatus"], "ActiveUnderContract");
        assert_eq!(json["ListPrice"], 450_000.0);
        let back: Listing = serde_json::from_value(json).expect("back");
        assert_eq!(back, l);
    }

    #[test]
    fn every_field_that_does_not_read_is_reported() {
        let errors = Listing::from_fields([
            ("ListPrice", "call agent"),
            ("BedroomsTotal", "3.5"),
            ("Latitude", "139.0"),
            ("StandardStatus", "Kinda active"),
            ("CloseDate", "soon"),
        ])
        .expect_err("bad");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "ListPrice",
                "BedroomsTotal",
                "Latitude",
                "StandardStatus",
                "CloseDate",
                "ListingKey"
            ]
        );
        assert!(errors[0].message.contains("call agent"));
        assert!(errors[2].message.contains("-90 to 90"));
    }
}
