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

use crate::values;

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

    /// The RESO status an MLS-local one ("Off Market", "Leased", "Temp Off
    /// Market", …) means best, for search and stats; the MLS's own word is
    /// kept beside it (`MlsStatus`). `None` for a word with no safe reading.
    ///
    /// | MLS-local status | read as |
    /// |---|---|
    /// | Off Market, Temp Off Market, Temporarily Off Market, TOM, Temporarily Withdrawn | Hold |
    /// | Leased, Rented, Closed Sale | Closed |
    /// | Contingent, Active Contingent, Backup, Active Option Contract, Active Kick Out, Under Agreement, Active With Contract | ActiveUnderContract |
    /// | Pending Sale, Sale Pending, Pending Continue To Show | Pending |
    /// | New, New Listing, Back On Market, Price Change, Reactivated, Extended, For Sale, For Lease, For Rent | Active |
    /// | Terminated, Cancelled | Canceled |
    /// | Deleted | Delete |
    pub fn from_local(text: &str) -> Option<Self> {
        if let Some(s) = Self::parse(text) {
            return Some(s);
        }
        let squashed: String = text
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        Some(match squashed.as_str() {
            "offmarket"
            | "tempoffmarket"
            | "temporarilyoffmarket"
            | "tom"
            | "temporarilywithdrawn" => Self::Hold,
            "leased" | "rented" | "closedsale" => Self::Closed,
            "contingent"
            | "activecontingent"
            | "backup"
            | "activeoptioncontract"
            | "activekickout"
            | "underagreement"
            | "activewithcontract" => Self::ActiveUnderContract,
            "pendingsale" | "salepending" | "pendingcontinuetoshow" => Self::Pending,
            "new" | "newlisting" | "backonmarket" | "pricechange" | "reactivated" | "extended"
            | "forsale" | "forlease" | "forrent" => Self::Active,
            "terminated" => Self::Canceled,
            "deleted" => Self::Delete,
            _ => return None,
        })
    }
}

/// A record read with [`Listing::from_fields_lenient`]: the listing and
/// what in it did not read.
#[derive(Debug, Clone, PartialEq)]
pub struct LenientListing {
    pub listing: Listing,
    /// Fields kept as text because they did not read as their RESO type.
    pub problems: Vec<FieldError>,
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

    /// A listing from a server's record, reading what reads: a value that
    /// does not parse as its RESO type is kept as text under its name and
    /// reported; an MLS-local status is kept as `MlsStatus` with its best
    /// RESO reading ([`StandardStatus::from_local`]). Only a record with no
    /// key is refused.
    pub fn from_fields_lenient<'a>(
        fields: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<LenientListing, FieldError> {
        let fields: Vec<(&str, &str)> = fields.into_iter().collect();
        let mut kept = Vec::with_capacity(fields.len());
        let mut local_status = None;
        for (name, text) in &fields {
            if *name == "StandardStatus"
                && !text.trim().is_empty()
                && StandardStatus::parse(text).is_none()
            {
                local_status = Some(text.trim().to_string());
                continue;
            }
            kept.push((*name, *text));
        }
        let (mut listing, problems) = match Listing::from_fields(kept.iter().copied()) {
            Ok(l) => (l, Vec::new()),
            Err(errors) => {
                if errors.iter().any(|e| e.field == "ListingKey") {
                    return Err(FieldError {
                        field: "ListingKey".into(),
                        message: "missing or empty: the record cannot be kept without its MLS key"
                            .into(),
                    });
                }
                let bad: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
                let readable = kept.iter().copied().filter(|(n, _)| !bad.contains(n));
                let mut l = Listing::from_fields(readable).map_err(|mut e| e.remove(0))?;
                for (name, text) in kept.iter().filter(|(n, _)| bad.contains(n)) {
                    l.other.insert((*name).to_string(), text.trim().to_string());
                }
                (l, errors)
            }
        };
        if let Some(text) = local_status {
            listing.standard_status = StandardStatus::from_local(&text);
            listing.other.entry("MlsStatus".to_string()).or_insert(text);
        }
        Ok(LenientListing { listing, problems })
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
    fn mls_local_statuses_are_kept_with_their_best_reso_reading() {
        for (local, want) in [
            ("Off Market", Some(StandardStatus::Hold)),
            ("Temp Off Market", Some(StandardStatus::Hold)),
            ("Leased", Some(StandardStatus::Closed)),
            ("Contingent", Some(StandardStatus::ActiveUnderContract)),
            ("Back on Market", Some(StandardStatus::Active)),
            ("Pending", Some(StandardStatus::Pending)),
            ("Zoning Review", None),
        ] {
            let r = Listing::from_fields_lenient([("ListingKey", "K1"), ("StandardStatus", local)])
                .expect(local);
            assert_eq!(r.listing.standard_status, want, "{local}");
            assert!(r.problems.is_empty(), "{local}");
            let kept = r.listing.other.get("MlsStatus").map(String::as_str);
            if want == Some(StandardStatus::Pending) {
                assert_eq!(kept, None, "a RESO word needs no local copy");
            } else {
                assert_eq!(kept, Some(local));
            }
        }
    }

    #[test]
    fn a_value_that_does_not_read_is_kept_as_text_and_reported_for_that_record_only() {
        let r = Listing::from_fields_lenient([
            ("ListingKey", "K2"),
            ("BedroomsTotal", "2 Bed"),
            ("ListPrice", "450000"),
        ])
        .expect("readable");
        assert_eq!(r.listing.list_price, Some(450_000.0));
        assert_eq!(r.listing.bedrooms_total, None);
        assert_eq!(r.listing.other["BedroomsTotal"], "2 Bed");
        assert_eq!(r.problems.len(), 1);
        assert_eq!(r.problems[0].field, "BedroomsTotal");
        let e = Listing::from_fields_lenient([("ListingKey", " "), ("ListPrice", "1")])
            .expect_err("no key");
        assert_eq!(e.field, "ListingKey");
    }

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
