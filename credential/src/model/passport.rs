//! `VolunteerPassportCredential`: the office's signed summary of a volunteer's record as of
//! one day — total hours, hours by category and year, the number of hours credentials
//! counted, skills and awards.
//!
//! The summary is what an HR officer reads first, so its figures must agree with each other:
//! `totalHours` is the sum of `hoursByCategory` (within [`TOTAL_HOURS_TOLERANCE`]), each
//! (category, year) appears once, in a fixed order, so one record has one signed form. Every
//! array holds at most [`MAX_PASSPORT_ENTRIES`] entries, checked before any entry is read,
//! so that a hostile credential cannot make a verifier do unbounded work.

use std::cmp::{Ordering, Reverse};

use serde_json::{Map, Number, Value};

use super::common::{self, date, invalid, put_opt, text, Envelope, IsoDate, Obj, Person};
use super::hours::{number_value, parse_hours, Category};
use super::reason;
use super::skill::SkillLevel;
use crate::error::Result;
pub use crate::limits::MAX_PASSPORT_ENTRIES;

/// How far `totalHours` may be from the sum of `hoursByCategory`: 0.001 hours (3.6 s).
///
/// Hours may have fractions (`1.5`, `0.25`) and binary floating point does not add them
/// exactly, so an office that sums in another order than a verifier may differ in the last
/// bits. With at most 64 entries of at most [`MAX_HOURS`](super::MAX_HOURS) each, that
/// difference stays below 10⁻⁷; the tolerance is far above it, and far below the hundredth
/// of an hour that verdicts display, so a total that visibly disagrees with its parts is
/// refused.
pub const TOTAL_HOURS_TOLERANCE: f64 = 0.001;

/// The earliest `hoursByCategory[].year` (before any vpass office kept records).
pub const MIN_PASSPORT_YEAR: u16 = 1990;
/// The latest `hoursByCategory[].year` (four-digit years, as in dates).
pub const MAX_PASSPORT_YEAR: u16 = 9999;

/// One entry of `hoursByCategory`: the hours of one category in one calendar year.
///
/// JSON: `{"category", "year", "hours"}`, all required.
#[derive(Debug, Clone, PartialEq)]
pub struct HoursTotal {
    category: Category,
    year: u16,
    hours: Number,
}

impl HoursTotal {
    /// The members an entry has, in the order they are written.
    pub const MEMBERS: [&'static str; 3] = ["category", "year", "hours"];

    fn parse(value: &Value, path: &str) -> Result<HoursTotal> {
        let obj = Obj::new(value, path, &Self::MEMBERS)?;
        let category = obj.req("category", |v, p| {
            Category::parse(common::string(v, p)?).ok_or_else(|| invalid(p, reason::NOT_CATEGORY))
        })?;
        let year = obj.req("year", |v, p| {
            v.as_u64()
                .and_then(|y| u16::try_from(y).ok())
                .filter(|y| (MIN_PASSPORT_YEAR..=MAX_PASSPORT_YEAR).contains(y))
                .ok_or_else(|| invalid(p, reason::NOT_YEAR))
        })?;
        let hours = obj.req("hours", parse_hours)?;
        Ok(HoursTotal {
            category,
            year,
            hours,
        })
    }

    fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("category".into(), self.category.as_str().into());
        out.insert("year".into(), self.year.into());
        out.insert("hours".into(), Value::Number(self.hours.clone()));
        Value::Object(out)
    }

    /// The activity category.
    pub fn category(&self) -> Category {
        self.category
    }

    /// The calendar year (from [`MIN_PASSPORT_YEAR`] to [`MAX_PASSPORT_YEAR`]).
    pub fn year(&self) -> u16 {
        self.year
    }

    /// The hours (greater than 0, at most [`MAX_HOURS`](super::MAX_HOURS)).
    pub fn hours(&self) -> f64 {
        number_value(&self.hours)
    }

    /// The hours as the JSON number that was signed (`120`, not `120.0`).
    pub fn hours_number(&self) -> &Number {
        &self.hours
    }

    /// The sort key of the required order: newest year first, then [`Category::ALL`] order.
    fn order_key(&self) -> (Reverse<u16>, usize) {
        let rank = Category::ALL
            .iter()
            .position(|&c| c == self.category)
            .unwrap_or(Category::ALL.len());
        (Reverse(self.year), rank)
    }
}

/// One entry of `skills`: the members of a skill subject without the person.
///
/// JSON: `{"skill", "level"?, "trainingProvider", "validUntil"?}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkillEntry {
    skill: String,
    level: Option<SkillLevel>,
    training_provider: String,
    valid_until: Option<IsoDate>,
}

impl SkillEntry {
    /// The members an entry may have, in the order they are written.
    pub const MEMBERS: [&'static str; 4] = ["skill", "level", "trainingProvider", "validUntil"];

    fn parse(value: &Value, path: &str) -> Result<SkillEntry> {
        let obj = Obj::new(value, path, &Self::MEMBERS)?;
        let skill = obj.req("skill", text)?;
        let level = obj.opt("level", |v, p| {
            SkillLevel::parse(common::string(v, p)?)
                .ok_or_else(|| invalid(p, reason::NOT_SKILL_LEVEL))
        })?;
        let training_provider = obj.req("trainingProvider", text)?;
        // Unlike a skill credential, a summary may list a skill that has lapsed: it is part
        // of the record, and its date is shown.
        let valid_until = obj.opt("validUntil", date)?;
        Ok(SkillEntry {
            skill,
            level,
            training_provider,
            valid_until,
        })
    }

    fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("skill".into(), self.skill.clone().into());
        put_opt(&mut out, "level", self.level.map(SkillLevel::as_str));
        out.insert(
            "trainingProvider".into(),
            self.training_provider.clone().into(),
        );
        put_opt(
            &mut out,
            "validUntil",
            self.valid_until.map(|d| d.to_string()),
        );
        Value::Object(out)
    }

    /// The skill, as the training names it (`First aid`).
    pub fn skill(&self) -> &str {
        &self.skill
    }

    /// The level, if given.
    pub fn level(&self) -> Option<SkillLevel> {
        self.level
    }

    /// Who gave the training.
    pub fn training_provider(&self) -> &str {
        &self.training_provider
    }

    /// The last day the skill counts, if it lapses (it may be before the passport's date).
    pub fn valid_until(&self) -> Option<IsoDate> {
        self.valid_until
    }
}

/// One entry of `awards`: the members of an award subject without the person and the
/// Open Badges achievement.
///
/// JSON: `{"award", "awardedBy", "awardDate"}`, all required.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwardEntry {
    award: String,
    awarded_by: String,
    award_date: IsoDate,
}

impl AwardEntry {
    /// The members an entry has, in the order they are written.
    pub const MEMBERS: [&'static str; 3] = ["award", "awardedBy", "awardDate"];

    fn parse(value: &Value, path: &str, env: Envelope) -> Result<AwardEntry> {
        let obj = Obj::new(value, path, &Self::MEMBERS)?;
        let award = obj.req("award", text)?;
        let awarded_by = obj.req("awardedBy", text)?;
        let award_date = obj.req("awardDate", date)?;
        // As in an award credential: given before it is certified, one day of slack for UTC+5.
        if award_date > env.valid_from_day.next_day() {
            return Err(invalid(
                obj.path("awardDate"),
                reason::DATE_AFTER_VALID_FROM,
            ));
        }
        Ok(AwardEntry {
            award,
            awarded_by,
            award_date,
        })
    }

    fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("award".into(), self.award.clone().into());
        out.insert("awardedBy".into(), self.awarded_by.clone().into());
        out.insert("awardDate".into(), self.award_date.to_string().into());
        Value::Object(out)
    }

    /// The award's name as given (`Шапағат`).
    pub fn award(&self) -> &str {
        &self.award
    }

    /// The authority that gave the award.
    pub fn awarded_by(&self) -> &str {
        &self.awarded_by
    }

    /// The day the award was given.
    pub fn award_date(&self) -> IsoDate {
        self.award_date
    }
}

/// The subject of a `VolunteerPassportCredential`.
#[derive(Debug, Clone, PartialEq)]
pub struct PassportSubject {
    person: Person,
    as_of: IsoDate,
    total_hours: Number,
    events: u64,
    hours_by_category: Vec<HoursTotal>,
    skills: Vec<SkillEntry>,
    awards: Vec<AwardEntry>,
}

impl PassportSubject {
    /// The members this subject may have, in the order [`to_json`](Self::to_json) writes
    /// them.
    pub const MEMBERS: [&'static str; 13] = [
        "id",
        "name",
        "iin",
        "birthDate",
        "email",
        "phone",
        "region",
        "asOf",
        "totalHours",
        "events",
        "hoursByCategory",
        "skills",
        "awards",
    ];

    /// The scalar members (the lists `hoursByCategory`, `skills`, `awards` are not).
    pub const PATHS: [&'static str; 10] = [
        "id",
        "name",
        "iin",
        "birthDate",
        "email",
        "phone",
        "region",
        "asOf",
        "totalHours",
        "events",
    ];

    pub(crate) fn parse(value: &Value, path: &str, env: Envelope) -> Result<PassportSubject> {
        let obj = Obj::new(value, path, &Self::MEMBERS)?;
        let person = Person::parse(&obj, env)?;
        let as_of = obj.req("asOf", date)?;
        // The records are read, then signed; one day of slack covers UTC+5.
        if as_of > env.valid_from_day.next_day() {
            return Err(invalid(obj.path("asOf"), reason::DATE_AFTER_VALID_FROM));
        }
        let total_hours = obj.req("totalHours", |v, p| match v {
            Value::Number(n) if number_value(n).is_finite() && number_value(n) >= 0.0 => {
                Ok(n.clone())
            }
            _ => Err(invalid(p, reason::HOURS_NEGATIVE)),
        })?;
        let events = obj.req("events", |v, p| {
            v.as_u64().ok_or_else(|| invalid(p, reason::NOT_COUNT))
        })?;
        let hours_by_category =
            obj.req("hoursByCategory", |v, p| entries(v, p, HoursTotal::parse))?;
        // Each entry strictly after the one before: the order holds and no pair repeats.
        for (i, pair) in hours_by_category.windows(2).enumerate() {
            let [before, entry] = pair else { continue };
            let at = || format!("{}[{}]", obj.path("hoursByCategory"), i + 1);
            match before.order_key().cmp(&entry.order_key()) {
                Ordering::Less => {}
                Ordering::Equal => return Err(invalid(at(), reason::ENTRY_REPEATED)),
                Ordering::Greater => return Err(invalid(at(), reason::ENTRY_ORDER)),
            }
        }
        // Summed in array order; see TOTAL_HOURS_TOLERANCE.
        let sum: f64 = hours_by_category.iter().map(HoursTotal::hours).sum();
        if (number_value(&total_hours) - sum).abs() > TOTAL_HOURS_TOLERANCE {
            return Err(invalid(obj.path("totalHours"), reason::TOTAL_NOT_SUM));
        }
        // Every counted hour comes from an hours credential.
        if events == 0 && !hours_by_category.is_empty() {
            return Err(invalid(obj.path("events"), reason::EVENTS_NONE));
        }
        let skills = obj.req("skills", |v, p| entries(v, p, SkillEntry::parse))?;
        let awards = obj.req("awards", |v, p| {
            entries(v, p, |v, p| AwardEntry::parse(v, p, env))
        })?;
        Ok(PassportSubject {
            person,
            as_of,
            total_hours,
            events,
            hours_by_category,
            skills,
            awards,
        })
    }

    /// The JSON form, members in [`MEMBERS`](Self::MEMBERS) order.
    pub fn to_json(&self) -> Map<String, Value> {
        let mut out = Map::new();
        self.person.write_identity(&mut out);
        self.person.write_region(&mut out);
        out.insert("asOf".into(), self.as_of.to_string().into());
        out.insert("totalHours".into(), Value::Number(self.total_hours.clone()));
        out.insert("events".into(), self.events.into());
        let array = |items: Vec<Value>| Value::Array(items);
        out.insert(
            "hoursByCategory".into(),
            array(
                self.hours_by_category
                    .iter()
                    .map(HoursTotal::to_json)
                    .collect(),
            ),
        );
        out.insert(
            "skills".into(),
            array(self.skills.iter().map(SkillEntry::to_json).collect()),
        );
        out.insert(
            "awards".into(),
            array(self.awards.iter().map(AwardEntry::to_json).collect()),
        );
        out
    }

    /// Whose record this is.
    pub fn person(&self) -> &Person {
        &self.person
    }

    /// The day the office read the records (not after the day after `validFrom`).
    pub fn as_of(&self) -> IsoDate {
        self.as_of
    }

    /// All hours (the sum of [`hours_by_category`](Self::hours_by_category)).
    pub fn total_hours(&self) -> f64 {
        number_value(&self.total_hours)
    }

    /// The total as the JSON number that was signed.
    pub fn total_hours_number(&self) -> &Number {
        &self.total_hours
    }

    /// How many hours credentials the office counted.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Hours by category and year: unique (category, year), newest year first, then in
    /// [`Category::ALL`] order.
    pub fn hours_by_category(&self) -> &[HoursTotal] {
        &self.hours_by_category
    }

    /// The skills on record, in the office's order.
    pub fn skills(&self) -> &[SkillEntry] {
        &self.skills
    }

    /// The awards on record, in the office's order.
    pub fn awards(&self) -> &[AwardEntry] {
        &self.awards
    }
}

/// An array of at most [`MAX_PASSPORT_ENTRIES`] entries, each parsed by `parse` at
/// `path[i]`. The length is checked before any entry is read.
fn entries<T>(
    value: &Value,
    path: &str,
    mut parse: impl FnMut(&Value, &str) -> Result<T>,
) -> Result<Vec<T>> {
    let items = value
        .as_array()
        .ok_or_else(|| invalid(path, reason::NOT_ARRAY))?;
    if items.len() > MAX_PASSPORT_ENTRIES {
        return Err(invalid(path, reason::TOO_MANY_ENTRIES));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| parse(item, &format!("{path}[{i}]")))
        .collect()
}
