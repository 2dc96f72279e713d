//! The three templates a real-estate team starts with, written from the
//! steps public checklists for sellers' agents, buyers' agents and escrow
//! list (NAR's and state associations' transaction checklists); each team
//! edits its copies.

use chrono::NaiveTime;

use super::{Offset, Step, Template};
use crate::board::Priority;

fn days(days: i32) -> Offset {
    Offset {
        days,
        business: false,
        time: None,
    }
}

fn business(days: i32) -> Offset {
    Offset {
        days,
        business: true,
        time: None,
    }
}

fn at(days: i32, hour: u32) -> Offset {
    Offset {
        days,
        business: false,
        time: NaiveTime::from_hms_opt(hour, 0, 0),
    }
}

fn step(title: &str, offset: Offset, labels: &[&str], checklist: &[&str]) -> Step {
    Step {
        title: title.to_string(),
        offset,
        assignee: None,
        labels: labels.iter().map(|l| l.to_string()).collect(),
        checklist: checklist.iter().map(|c| c.to_string()).collect(),
        priority: Priority::None,
    }
}

fn urgent(mut s: Step) -> Step {
    s.priority = Priority::High;
    s
}

/// Listing preparation, keyed to the day the listing goes live.
pub fn listing_preparation() -> Template {
    Template {
        name: "Listing preparation".into(),
        anchor: "listing".into(),
        steps: vec![
            step(
                "Sign the listing agreement",
                days(-14),
                &["paperwork"],
                &[
                    "Listing agreement",
                    "Agency disclosure",
                    "Seller's disclosure forms out",
                ],
            ),
            step(
                "Pull comparables and set the list price",
                days(-12),
                &["pricing"],
                &[
                    "Comps from the last 6 months",
                    "Price review with the seller",
                ],
            ),
            step(
                "Order the pre-listing inspection",
                days(-10),
                &["inspection"],
                &[],
            ),
            step(
                "Walk through for repairs and staging",
                days(-9),
                &["staging"],
                &["Repair list to the seller", "Declutter list"],
            ),
            step(
                "Book the photographer",
                days(-7),
                &["marketing"],
                &["Photos", "Floor plan", "Video or 3D tour"],
            ),
            step(
                "Collect the seller's disclosures",
                business(-5),
                &["paperwork"],
                &[],
            ),
            step("Stage the home", days(-4), &["staging"], &[]),
            urgent(step("Photo shoot", at(-3, 10), &["marketing"], &[])),
            step("Write the listing remarks", days(-2), &["marketing"], &[]),
            step(
                "Install the lockbox and sign",
                days(-1),
                &["showing"],
                &["Lockbox code to the team", "Yard sign"],
            ),
            urgent(step(
                "Enter the listing in the MLS",
                at(0, 9),
                &["mls"],
                &["Photos uploaded", "Showing instructions"],
            )),
            step(
                "Announce to the team and social media",
                days(0),
                &["marketing"],
                &[],
            ),
            step(
                "Open house",
                at(3, 13),
                &["showing"],
                &["Sign-in sheet", "Flyers"],
            ),
            step(
                "First showing feedback to the seller",
                days(7),
                &["seller"],
                &[],
            ),
        ],
    }
}

/// A buyer under contract, keyed to the contract (acceptance) date.
pub fn buyer_under_contract() -> Template {
    Template {
        name: "Buyer under contract".into(),
        anchor: "contract".into(),
        steps: vec![
            urgent(step(
                "Deliver the earnest money",
                business(2),
                &["escrow"],
                &["Receipt to the file"],
            )),
            step(
                "Send the executed contract to lender and title",
                business(1),
                &["paperwork"],
                &[],
            ),
            urgent(step(
                "Schedule the home inspection",
                days(1),
                &["inspection"],
                &[],
            )),
            step(
                "Home inspection",
                days(5),
                &["inspection"],
                &["Buyer attends", "Report to the buyer"],
            ),
            urgent(step(
                "Inspection objection deadline",
                business(7),
                &["inspection", "deadline"],
                &["Repair request or release"],
            )),
            step(
                "Confirm the appraisal is ordered",
                days(7),
                &["lender"],
                &[],
            ),
            step("Review the title commitment", days(10), &["title"], &[]),
            step(
                "Buyer's homeowner's insurance bound",
                days(14),
                &["lender"],
                &[],
            ),
            step("Appraisal received", days(17), &["lender"], &[]),
            urgent(step(
                "Loan approval deadline",
                days(21),
                &["lender", "deadline"],
                &[],
            )),
            step(
                "Schedule the final walk-through",
                days(25),
                &["closing"],
                &[],
            ),
            step(
                "Utilities transferred",
                days(27),
                &["closing"],
                &["Electric", "Water", "Gas", "Internet"],
            ),
            urgent(step(
                "Closing",
                at(30, 10),
                &["closing"],
                &[
                    "Closing disclosure reviewed",
                    "Wire instructions verified by phone",
                ],
            )),
        ],
    }
}

/// Escrow to closing, keyed to the closing date.
pub fn escrow_to_closing() -> Template {
    Template {
        name: "Escrow to closing".into(),
        anchor: "closing".into(),
        steps: vec![
            step(
                "Open escrow and send the contract",
                days(-30),
                &["escrow"],
                &[],
            ),
            step("Order the title search", days(-28), &["title"], &[]),
            step("Payoff statement requested", days(-21), &["title"], &[]),
            step("HOA documents requested", days(-21), &["hoa"], &[]),
            step("Survey ordered (if required)", days(-20), &["title"], &[]),
            urgent(step(
                "Clear to close from the lender",
                business(-5),
                &["lender", "deadline"],
                &[],
            )),
            urgent(step(
                "Closing disclosure to the buyer",
                business(-3),
                &["lender", "deadline"],
                &["Three business days before closing (TRID)"],
            )),
            step(
                "Confirm the closing time and place",
                days(-3),
                &["closing"],
                &[],
            ),
            step("Final walk-through", at(-1, 16), &["closing"], &[]),
            step(
                "Wire instructions verified by phone",
                days(-1),
                &["closing"],
                &[],
            ),
            urgent(step(
                "Closing",
                at(0, 10),
                &["closing"],
                &["Keys", "Garage openers", "Manuals"],
            )),
            step("Record the deed", business(1), &["title"], &[]),
            step("Commission disbursed", business(2), &["escrow"], &[]),
            step("Close the file", days(7), &["paperwork"], &[]),
        ],
    }
}

/// All three.
pub fn all() -> Vec<Template> {
    vec![
        listing_preparation(),
        buyer_under_contract(),
        escrow_to_closing(),
    ]
}
