//! `VolunteerHoursCredential`: hours of volunteering in one activity over a period.

use serde_json::{Map, Number, Value};

use super::common::{self, date, invalid, put_opt, text, Envelope, IsoDate, Obj, Person};
use super::reason;
use crate::error::Result;

/// The absolute ceiling on `hours` in one credential (about five years of full-time work).
pub const MAX_HOURS: f64 = 10_000.0;

/// The activity categories an office may give, as written in `credentialSubject.category`.
///
/// A small closed set, so that passport summaries can total hours by category and verifiers
/// can translate the names; anything that fits none of them is `other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// `social`: help to people (elderly, children, people with disabilities, the homeless).
    Social,
    /// `environment`: clean-ups, tree planting, nature protection.
    Environment,
    /// `emergency`: emergencies and disasters, search and rescue, floods, fires.
    Emergency,
    /// `education`: tutoring, mentoring, literacy.
    Education,
    /// `health`: hospitals, blood donation drives, health campaigns.
    Health,
    /// `culture`: museums, heritage, cultural events.
    Culture,
    /// `sport`: sports events and competitions.
    Sport,
    /// `animals`: animal shelters and welfare.
    Animals,
    /// `other`: anything else.
    Other,
}

impl Category {
    /// Every category, in documentation order.
    pub const ALL: [Category; 9] = [
        Category::Social,
        Category::Environment,
        Category::Emergency,
        Category::Education,
        Category::Health,
        Category::Culture,
        Category::Sport,
        Category::Animals,
        Category::Other,
    ];

    /// The JSON form (`environment`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Category::Social => "social",
            Category::Environment => "environment",
            Category::Emergency => "emergency",
            Category::Education => "education",
            Category::Health => "health",
            Category::Culture => "culture",
            Category::Sport => "sport",
            Category::Animals => "animals",
            Category::Other => "other",
        }
    }

    /// Look up the JSON form (exact, lower case).
    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// The subject of a `VolunteerHoursCredential`.
#[derive(Debug, Clone, PartialEq)]
pub struct HoursSubject {
    person: Person,
    hours: Number,
    activity: String,
    organization: String,
    category: Option<Category>,
    period_start: IsoDate,
    period_end: IsoDate,
    unlinked: bool,
}

impl HoursSubject {
    /// The members this subject may have, in the order [`to_json`](Self::to_json) writes
    /// them (the order of the standard fixture).
    pub const MEMBERS: [&'static str; 14] = [
        "id",
        "name",
        "iin",
        "birthDate",
        "email",
        "phone",
        "hours",
        "activity",
        "organization",
        "category",
        "region",
        "periodStart",
        "periodEnd",
        "unlinked",
    ];

    pub(crate) fn parse(value: &Value, path: &str, env: Envelope) -> Result<HoursSubject> {
        let obj = Obj::new(value, path, &Self::MEMBERS)?;
        let person = Person::parse(&obj, env)?;
        let hours = obj.req("hours", parse_hours)?;
        let activity = obj.req("activity", text)?;
        let organization = obj.req("organization", text)?;
        let category = obj.opt("category", |v, p| {
            Category::parse(common::string(v, p)?).ok_or_else(|| invalid(p, reason::NOT_CATEGORY))
        })?;
        let period_start = obj.req("periodStart", date)?;
        let period_end = obj.req("periodEnd", date)?;
        if period_end < period_start {
            return Err(invalid(obj.path("periodEnd"), reason::END_BEFORE_START));
        }
        // Hours are certified after the work; one day of slack covers the UTC+5 offset.
        if period_end > env.valid_from_day.next_day() {
            return Err(invalid(
                obj.path("periodEnd"),
                reason::DATE_AFTER_VALID_FROM,
            ));
        }
        // Written only as `true`: one spelling of "linked" (absent) keeps signed bytes canonical.
        let unlinked = obj
            .opt("unlinked", |v, p| match v {
                Value::Bool(true) => Ok(true),
                _ => Err(invalid(p, reason::NOT_TRUE)),
            })?
            .unwrap_or(false);
        let days = period_start.days_until(period_end) + 1;
        // `days` is at most a few million, exactly representable as f64.
        if number_value(&hours) > 24.0 * days as f64 {
            return Err(invalid(obj.path("hours"), reason::HOURS_OVER_PERIOD));
        }
        Ok(HoursSubject {
            person,
            hours,
            activity,
            organization,
            category,
            period_start,
            period_end,
            unlinked,
        })
    }

    /// The JSON form, members in [`MEMBERS`](Self::MEMBERS) order.
    pub fn to_json(&self) -> Map<String, Value> {
        let mut out = Map::new();
        self.person.write_identity(&mut out);
        out.insert("hours".into(), Value::Number(self.hours.clone()));
        out.insert("activity".into(), self.activity.clone().into());
        out.insert("organization".into(), self.organization.clone().into());
        put_opt(&mut out, "category", self.category.map(Category::as_str));
        self.person.write_region(&mut out);
        out.insert("periodStart".into(), self.period_start.to_string().into());
        out.insert("periodEnd".into(), self.period_end.to_string().into());
        if self.unlinked {
            out.insert("unlinked".into(), true.into());
        }
        out
    }

    /// Who the hours belong to.
    pub fn person(&self) -> &Person {
        &self.person
    }

    /// The hours (greater than 0, at most [`MAX_HOURS`] and 24 per day of the period).
    pub fn hours(&self) -> f64 {
        number_value(&self.hours)
    }

    /// The hours as the JSON number that was signed (`48`, not `48.0`).
    pub fn hours_number(&self) -> &Number {
        &self.hours
    }

    /// What the volunteer did.
    pub fn activity(&self) -> &str {
        &self.activity
    }

    /// The organisation the volunteer worked with.
    pub fn organization(&self) -> &str {
        &self.organization
    }

    /// The activity category, if given.
    pub fn category(&self) -> Option<Category> {
        self.category
    }

    /// The first day of the period.
    pub fn period_start(&self) -> IsoDate {
        self.period_start
    }

    /// The last day of the period (not before the first).
    pub fn period_end(&self) -> IsoDate {
        self.period_end
    }

    /// The issuer says it could not link these hours to a volunteer in its register (no
    /// national ID given): its checks across credentials (daily cap, duplicate events) did
    /// not cover them, and no passport counts them (`"unlinked": true`, see docs/formats.md).
    pub fn unlinked(&self) -> bool {
        self.unlinked
    }

    pub(crate) fn mark_unlinked(&mut self) {
        self.unlinked = true;
    }
}

pub(super) fn number_value(n: &Number) -> f64 {
    n.as_f64().unwrap_or(f64::NAN)
}

/// `hours`: a number greater than 0 and at most [`MAX_HOURS`].
pub(super) fn parse_hours(v: &Value, path: &str) -> Result<Number> {
    let Value::Number(n) = v else {
        return Err(invalid(path, reason::HOURS_NOT_POSITIVE));
    };
    let h = number_value(n);
    // NaN fails `h > 0.0` too.
    if !(h.is_finite() && h > 0.0) {
        return Err(invalid(path, reason::HOURS_NOT_POSITIVE));
    }
    if h > MAX_HOURS {
        return Err(invalid(path, reason::HOURS_OVER_CEILING));
    }
    Ok(n.clone())
}
