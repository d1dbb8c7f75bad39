//! The volunteer register's rules, apart from storage and HTTP: names as entered in several
//! spellings, the event key, the plausibility checks on hours (deliverable 8 of issue 4) and
//! the passport summary built from stored facts; and linking an issuance request to the
//! register ([`link_key`] says whom to read, [`link`] decides on what was read), pure so that
//! every front end links alike and its branches are tested without a database.
//!
//! **Checks on hours.** Each is a refusal with a stable code ([`Refusal`]), run by the store
//! inside the write transaction that inserts the credential (so two concurrent requests for
//! one volunteer cannot both pass):
//! - `HOURS_OVER_CAP`: one credential's hours above [`HoursCaps::max_hours_per_credential`];
//! - `DAILY_HOURS_OVER_CAP`: each hours credential's hours are spread evenly over the days of
//!   its period; on no day of the new credential's period may the volunteer's non-revoked
//!   hours credentials plus the new one exceed [`HoursCaps::max_hours_per_day`];
//! - `DUPLICATE_EVENT`: the volunteer already holds a non-revoked hours credential for the same
//!   event ([`event_key`]), unless the request confirms it (`"confirm": ["duplicate-event"]`).
//!
//! A refusal names another office's records only to that office: another office is told
//! that a duplicate or an over-the-cap day exists, not which credential or how many hours
//! (finding 14 of issue 8); the figures it is given are its own and the request's.

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use vpass_credential::model::{Category, Iin, IsoDate};

/// The default cap on the hours of one credential.
pub const DEFAULT_MAX_HOURS_PER_CREDENTIAL: f64 = 1_000.0;
/// The default cap on one volunteer's hours on one day.
pub const DEFAULT_MAX_HOURS_PER_DAY: f64 = 16.0;
/// The `confirm` value that lets a duplicate event through.
pub const CONFIRM_DUPLICATE_EVENT: &str = "duplicate-event";
/// What the IIN blind-index key is derived for (`Kek::derive`).
pub const BLIND_INDEX_PURPOSE: &str = "vpass/v1/blind-index/iin";
/// Most entries in each array of a passport summary.
pub const MAX_PASSPORT_ENTRIES: usize = 64;

/// The configurable caps of the plausibility checks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HoursCaps {
    /// Most hours in one credential.
    pub max_hours_per_credential: f64,
    /// Most hours of one volunteer on one day, all credentials together.
    pub max_hours_per_day: f64,
}

impl Default for HoursCaps {
    fn default() -> HoursCaps {
        HoursCaps {
            max_hours_per_credential: DEFAULT_MAX_HOURS_PER_CREDENTIAL,
            max_hours_per_day: DEFAULT_MAX_HOURS_PER_DAY,
        }
    }
}

/// Which plausibility check refused a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefusalCode {
    /// `HOURS_OVER_CAP`: more hours in one credential than the cap.
    HoursOverCap,
    /// `DUPLICATE_EVENT`: the volunteer has a credential for the same event.
    DuplicateEvent,
    /// `DAILY_HOURS_OVER_CAP`: more hours on a day than the daily cap.
    DailyHoursOverCap,
}

impl RefusalCode {
    /// The stable code problems and batch rows carry.
    pub const fn as_str(self) -> &'static str {
        match self {
            RefusalCode::HoursOverCap => "HOURS_OVER_CAP",
            RefusalCode::DuplicateEvent => "DUPLICATE_EVENT",
            RefusalCode::DailyHoursOverCap => "DAILY_HOURS_OVER_CAP",
        }
    }
}

impl std::fmt::Display for RefusalCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused plausibility check: a 422 problem (or a batch row error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Which check refused.
    pub code: RefusalCode,
    /// The field at fault.
    pub field: &'static str,
    /// What a clerk reads.
    pub detail: String,
    /// The earlier credential a duplicate repeats.
    pub credential: Option<String>,
}

/// A volunteer's names as entered, in Kazakh, Russian and English spelling (at least one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    /// Kazakh spelling.
    pub kk: Option<String>,
    /// Russian spelling.
    pub ru: Option<String>,
    /// English (Latin) spelling.
    pub en: Option<String>,
}

impl Names {
    /// The spellings present, in the order kk, ru, en.
    pub fn spellings(&self) -> impl Iterator<Item = &str> {
        [&self.kk, &self.ru, &self.en]
            .into_iter()
            .filter_map(|s| s.as_deref())
    }

    /// The name a credential shows when the request gives none: the first of kk, ru, en.
    pub fn display(&self) -> &str {
        self.spellings().next().unwrap_or_default()
    }

    /// What name search matches against: every spelling, normalised, one per line.
    pub fn search_text(&self) -> String {
        self.spellings()
            .map(normalise)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Whether `name` is one of the spellings (case and spacing aside).
    pub fn matches(&self, name: &str) -> bool {
        let name = normalise(name);
        self.spellings().any(|s| normalise(s) == name)
    }

    /// The JSON form: `{"kk": …, "ru": …, "en": …}` (absent spellings left out).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        for (k, v) in [("kk", &self.kk), ("ru", &self.ru), ("en", &self.en)] {
            if let Some(v) = v {
                m.insert(k.into(), v.clone().into());
            }
        }
        Value::Object(m)
    }
}

impl Names {
    /// Which spelling a name entered on a credential is: Kazakh if it has a letter only
    /// Kazakh Cyrillic uses, Russian if it has other Cyrillic, else English.
    pub fn guess(name: &str) -> Names {
        const KAZAKH: &str = "ӘәҒғҚқҢңӨөҰұҮүҺһІі";
        let trimmed = name.trim();
        let name = Some(trimmed.to_owned());
        if trimmed.chars().any(|c| KAZAKH.contains(c)) {
            Names {
                kk: name,
                ..Names::default()
            }
        } else if trimmed
            .chars()
            .any(|c| ('\u{400}'..='\u{4ff}').contains(&c))
        {
            Names {
                ru: name,
                ..Names::default()
            }
        } else {
            Names {
                en: name,
                ..Names::default()
            }
        }
    }
}

/// Whom an issuance request is linked to, before the register is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkKey {
    /// Nobody: no `volunteer` and no valid IIN in the subject.
    None,
    /// The volunteer the request names (`volunteer`).
    Id(String),
    /// Whoever is registered under the subject's IIN (by its blind index).
    Iin(Iin),
}

/// A registered volunteer as linking compares it: the IIN opened, its registrar named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    /// Its id.
    pub id: String,
    /// Its names.
    pub names: Names,
    /// Its IIN.
    pub iin: String,
    /// Its birth date `YYYY-MM-DD`.
    pub birth_date: String,
    /// Whom to ask if the register is wrong ("office ast-01"): no personal data.
    pub registrar: String,
}

/// What linking decided (the subject completed from the register where linked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkDecision {
    /// The credential belongs to no registered volunteer.
    NotLinked,
    /// It belongs to this registered volunteer (id).
    Existing(String),
    /// Register a new volunteer from the subject, with these names and IIN.
    Register {
        /// The subject's name, in the spelling it appears to be.
        names: Names,
        /// The subject's IIN.
        iin: Iin,
    },
}

/// Why a request cannot be linked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkError {
    /// `volunteer` is given without a `credentialSubject` object.
    SubjectRequired,
    /// `volunteer` names no registered volunteer (the id).
    Unknown(String),
    /// `credentialSubject.<field>` contradicts the register (`VOLUNTEER_MISMATCH`).
    Mismatch {
        /// The subject member (`name`, `iin`, `birthDate`).
        field: &'static str,
        /// What of the volunteer it contradicts ("names", "IIN", "birth date").
        what: &'static str,
        /// The volunteer's id.
        volunteer: String,
        /// Whom to ask ([`Registered::registrar`]).
        registrar: String,
    },
}

impl LinkError {
    /// What a clerk reads.
    pub fn detail(&self) -> String {
        match self {
            LinkError::SubjectRequired => "is required".into(),
            LinkError::Unknown(id) => format!("no volunteer {id} in the register"),
            LinkError::Mismatch {
                field,
                what,
                volunteer,
                registrar,
            } => format!(
                "credentialSubject.{field} does not match the {what} of volunteer {volunteer} \
                 in the register, registered by {registrar}; leave it out to take the \
                 register's, or correct it; if the register is wrong, ask {registrar} or an \
                 admin, who can correct the registration (PATCH /api/v1/volunteers/{volunteer})"
            ),
        }
    }
}

/// Whom to look up for a request naming `volunteer` (or not) with `subject`: the named
/// volunteer, else whoever holds the subject's IIN; nobody without a valid IIN (a bad IIN is
/// reported by the credential check, not here).
pub fn link_key(
    volunteer: Option<&str>,
    subject: Option<&Map<String, Value>>,
) -> Result<LinkKey, LinkError> {
    let Some(subject) = subject else {
        return match volunteer {
            Some(_) => Err(LinkError::SubjectRequired),
            None => Ok(LinkKey::None),
        };
    };
    if let Some(id) = volunteer {
        return Ok(LinkKey::Id(id.to_owned()));
    }
    match subject.get("iin").and_then(Value::as_str).map(Iin::parse) {
        Some(Ok(iin)) => Ok(LinkKey::Iin(iin)),
        _ => Ok(LinkKey::None),
    }
}

/// Link a request to the register, given what [`link_key`] asked for and what the register
/// holds under it (`found`). A volunteer found fills the subject's absent `name` (its first
/// spelling), `iin` and `birthDate`, and a given one must match (a name any spelling, case
/// and spacing aside); a named volunteer must exist; an IIN nobody holds registers a new
/// volunteer from the subject when it has a name, and links nobody when it has none.
pub fn link(
    subject: &mut Map<String, Value>,
    key: LinkKey,
    found: Option<Registered>,
) -> Result<LinkDecision, LinkError> {
    let v = match (key, found) {
        (LinkKey::None, _) => return Ok(LinkDecision::NotLinked),
        (LinkKey::Id(id), None) => return Err(LinkError::Unknown(id)),
        (LinkKey::Iin(iin), None) => {
            return Ok(match subject.get("name").and_then(Value::as_str) {
                Some(name) => LinkDecision::Register {
                    names: Names::guess(name),
                    iin,
                },
                None => LinkDecision::NotLinked,
            })
        }
        (_, Some(v)) => v,
    };
    let mismatch = |field: &'static str, what: &'static str| LinkError::Mismatch {
        field,
        what,
        volunteer: v.id.clone(),
        registrar: v.registrar.clone(),
    };
    match subject.get("name") {
        None => {
            subject.insert("name".into(), v.names.display().into());
        }
        Some(Value::String(n)) if v.names.matches(n) => {}
        Some(_) => return Err(mismatch("name", "names")),
    }
    match subject.get("iin") {
        None => {
            subject.insert("iin".into(), v.iin.clone().into());
        }
        Some(Value::String(i)) if *i == v.iin => {}
        Some(_) => return Err(mismatch("iin", "IIN")),
    }
    match subject.get("birthDate") {
        None => {
            subject.insert("birthDate".into(), v.birth_date.clone().into());
        }
        Some(Value::String(b)) if *b == v.birth_date => {}
        Some(_) => return Err(mismatch("birthDate", "birth date")),
    }
    Ok(LinkDecision::Existing(v.id))
}

/// Lower case (Unicode), spaces trimmed and runs of white space made one space.
pub fn normalise(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// What identifies an event: SHA-256 (hex) of the normalised activity and organization and
/// the period's first and last day, joined by U+001F.
pub fn event_key(activity: &str, organization: &str, start: IsoDate, end: IsoDate) -> String {
    let text = format!(
        "{}\u{1f}{}\u{1f}{start}\u{1f}{end}",
        normalise(activity),
        normalise(organization)
    );
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An hours credential as the checks see it.
#[derive(Debug, Clone, PartialEq)]
pub struct HoursFact {
    /// The credential id (empty for the one being issued).
    pub credential_id: String,
    /// The issuing office (of the one being issued: the requesting office).
    pub office_id: String,
    /// Hours.
    pub hours: f64,
    /// First day.
    pub start: IsoDate,
    /// Last day.
    pub end: IsoDate,
    /// [`event_key`].
    pub event_key: String,
}

/// Hours written for a clerk: at most two decimals, no trailing zeros.
pub fn show_hours(h: f64) -> String {
    let s = format!("{:.2}", (h * 100.0).round() / 100.0);
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The cap on one credential's hours.
pub fn check_cap(hours: f64, limits: &HoursCaps) -> Result<(), Refusal> {
    if hours > limits.max_hours_per_credential {
        return Err(Refusal {
            code: RefusalCode::HoursOverCap,
            field: "credentialSubject.hours",
            detail: format!(
                "{} hours in one credential is more than the limit of {} hours; split the \
                 work into several credentials or check the figure",
                show_hours(hours),
                show_hours(limits.max_hours_per_credential)
            ),
            credential: None,
        });
    }
    Ok(())
}

/// The duplicate-event and daily-cap checks of `new` against the volunteer's non-revoked hours
/// credentials that overlap its period (`existing`).
pub fn check_against(
    new: &HoursFact,
    existing: &[HoursFact],
    limits: &HoursCaps,
    confirm_duplicate: bool,
) -> Result<(), Refusal> {
    if !confirm_duplicate {
        let mut same = existing.iter().filter(|e| e.event_key == new.event_key);
        let first = same.clone().next();
        if let Some(earlier) = same.find(|e| e.office_id == new.office_id) {
            return Err(Refusal {
                code: RefusalCode::DuplicateEvent,
                field: "credentialSubject.activity",
                detail: format!(
                    "this volunteer already has credential {} for the same event (activity, \
                     organization and period); to issue a second one on purpose, add \
                     \"confirm\": [\"{CONFIRM_DUPLICATE_EVENT}\"]",
                    earlier.credential_id
                ),
                credential: Some(earlier.credential_id.clone()),
            });
        }
        if first.is_some() {
            return Err(Refusal {
                code: RefusalCode::DuplicateEvent,
                field: "credentialSubject.activity",
                detail: format!(
                    "this volunteer already has a credential from another office for the same \
                     event (activity, organization and period); to issue a second one on \
                     purpose, add \"confirm\": [\"{CONFIRM_DUPLICATE_EVENT}\"]"
                ),
                credential: None,
            });
        }
    }
    let days = usize::try_from(new.start.days_until(new.end) + 1).unwrap_or(1);
    let share = |f: &HoursFact| {
        let d = f.start.days_until(f.end) + 1;
        // Periods are at most a few thousand days: exact in f64.
        f.hours / d.max(1) as f64
    };
    let mut load = vec![0.0f64; days];
    // Whether another office's hours count on each day.
    let mut foreign = vec![false; days];
    for e in existing {
        let from = new.start.days_until(e.start).max(0);
        let to = new.start.days_until(e.end).min(days as i64 - 1);
        let per_day = share(e);
        for i in from..=to {
            let Ok(i) = usize::try_from(i) else { continue };
            if let Some(slot) = load.get_mut(i) {
                *slot += per_day;
            }
            if e.office_id != new.office_id {
                if let Some(f) = foreign.get_mut(i) {
                    *f = true;
                }
            }
        }
    }
    let mine = share(new);
    for (i, before) in load.iter().enumerate() {
        let total = before + mine;
        if total > limits.max_hours_per_day + 1e-9 {
            let day = new
                .start
                .date()
                .checked_add(time::Duration::days(i as i64))
                .map(|d| d.to_string())
                .unwrap_or_default();
            let detail = if foreign.get(i).copied().unwrap_or(false) {
                format!(
                    "on {day} this volunteer would have more than the limit of {} hours a day: \
                     hours already recorded for that day (some by other offices) + {} from \
                     this credential, its hours spread evenly over its {days} day(s)",
                    show_hours(limits.max_hours_per_day),
                    show_hours(mine),
                )
            } else {
                format!(
                    "on {day} this volunteer would have {} hours ({} already recorded + {} \
                     from this credential, its hours spread evenly over its {days} day(s)); \
                     the limit is {} hours a day",
                    show_hours(total),
                    show_hours(*before),
                    show_hours(mine),
                    show_hours(limits.max_hours_per_day)
                )
            };
            return Err(Refusal {
                code: RefusalCode::DailyHoursOverCap,
                field: "credentialSubject.hours",
                detail,
                credential: None,
            });
        }
    }
    Ok(())
}

/// A stored credential's facts as the passport reads them.
#[derive(Debug, Clone, PartialEq)]
pub enum PassportFact {
    /// An hours credential: hours, category (absent counts as `other`), last day of the period.
    Hours {
        /// Hours.
        hours: f64,
        /// Category.
        category: Option<Category>,
        /// Last day (its year is the year the hours count in).
        end: IsoDate,
    },
    /// A skill entry as the passport writes it.
    Skill(Value),
    /// An award entry as the passport writes it.
    Award(Value),
}

/// Hours as a JSON number: an integer when whole, else rounded to two decimals.
pub fn hours_json(h: f64) -> Value {
    let rounded = (h * 100.0).round() / 100.0;
    if rounded.fract() == 0.0 && rounded.abs() < 1e15 {
        Value::from(rounded as i64)
    } else {
        serde_json::Number::from_f64(rounded).map_or(Value::from(0), Value::Number)
    }
}

/// The summary members of a passport subject (`asOf`, `totalHours`, `events`,
/// `hoursByCategory`, `skills`, `awards`) from facts in issuance order (oldest first). Sums
/// are kept in hundredths of an hour so that `totalHours` is the sum of the entries. `None`
/// if an array would exceed [`MAX_PASSPORT_ENTRIES`] even after duplicates are merged.
pub fn passport_summary(as_of: IsoDate, facts: &[PassportFact]) -> Option<Map<String, Value>> {
    let mut by: Vec<(i32, usize, i64)> = Vec::new();
    let mut events = 0u64;
    let mut skills: Vec<Value> = Vec::new();
    let mut awards: Vec<Value> = Vec::new();
    for f in facts {
        match f {
            PassportFact::Hours {
                hours,
                category,
                end,
            } => {
                events += 1;
                let cat = category.unwrap_or(Category::Other);
                let pos = Category::ALL.iter().position(|c| *c == cat).unwrap_or(0);
                let year = end.date().year();
                let cents = (hours * 100.0).round() as i64;
                match by.iter_mut().find(|(y, c, _)| *y == year && *c == pos) {
                    Some(e) => e.2 += cents,
                    None => by.push((year, pos, cents)),
                }
            }
            PassportFact::Skill(v) if !skills.contains(v) => skills.push(v.clone()),
            PassportFact::Award(v) if !awards.contains(v) => awards.push(v.clone()),
            _ => {}
        }
    }
    if by.len() > MAX_PASSPORT_ENTRIES
        || skills.len() > MAX_PASSPORT_ENTRIES
        || awards.len() > MAX_PASSPORT_ENTRIES
    {
        return None;
    }
    by.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let total: i64 = by.iter().map(|e| e.2).sum();
    let cents = |c: i64| hours_json(c as f64 / 100.0);
    let mut m = Map::new();
    m.insert("asOf".into(), as_of.to_string().into());
    m.insert("totalHours".into(), cents(total));
    m.insert("events".into(), events.into());
    m.insert(
        "hoursByCategory".into(),
        Value::Array(
            by.iter()
                .map(|(year, pos, c)| {
                    json!({
                        "category": Category::ALL.get(*pos).map_or("other", |c| c.as_str()),
                        "year": year,
                        "hours": cents(*c),
                    })
                })
                .collect(),
        ),
    );
    m.insert("skills".into(), Value::Array(skills));
    m.insert("awards".into(), Value::Array(awards));
    Some(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => panic!("not an object"),
        }
    }

    const IIN: &str = "880720300006";

    fn registered() -> Registered {
        Registered {
            id: "v-1".into(),
            names: Names {
                kk: Some("Әлия Сәрсенова".into()),
                ru: Some("Алия Сарсенова".into()),
                en: Some("Aliya Sarsenova".into()),
            },
            iin: IIN.into(),
            birth_date: "1988-07-20".into(),
            registrar: "office ast-01".into(),
        }
    }

    #[test]
    fn link_key_names_whom_to_look_up() {
        let with_iin = subject(json!({"name": "A", "iin": IIN}));
        assert_eq!(
            link_key(Some("v-1"), Some(&with_iin)),
            Ok(LinkKey::Id("v-1".into()))
        );
        assert_eq!(
            link_key(None, Some(&with_iin)),
            Ok(LinkKey::Iin(Iin::parse(IIN).unwrap()))
        );
        assert_eq!(link_key(Some("v-1"), None), Err(LinkError::SubjectRequired));
        assert_eq!(link_key(None, None), Ok(LinkKey::None));
        // No IIN, or one that is not an IIN (the credential check reports it): nobody.
        let no_iin = subject(json!({"name": "A"}));
        assert_eq!(link_key(None, Some(&no_iin)), Ok(LinkKey::None));
        let bad = subject(json!({"name": "A", "iin": "123"}));
        assert_eq!(link_key(None, Some(&bad)), Ok(LinkKey::None));
        let number = subject(json!({"name": "A", "iin": 880720300006u64}));
        assert_eq!(link_key(None, Some(&number)), Ok(LinkKey::None));
    }

    #[test]
    fn link_fills_the_subject_from_the_named_volunteer() {
        let mut s = subject(json!({"hours": 3}));
        let decision = link(&mut s, LinkKey::Id("v-1".into()), Some(registered()));
        assert_eq!(decision, Ok(LinkDecision::Existing("v-1".into())));
        assert_eq!(
            Value::Object(s),
            json!({"hours": 3, "name": "Әлия Сәрсенова", "iin": IIN, "birthDate": "1988-07-20"})
        );
    }

    #[test]
    fn link_refuses_an_unknown_named_volunteer() {
        let mut s = subject(json!({"name": "A"}));
        let decision = link(&mut s, LinkKey::Id("v-9".into()), None);
        assert_eq!(decision, Err(LinkError::Unknown("v-9".into())));
        assert_eq!(
            decision.unwrap_err().detail(),
            "no volunteer v-9 in the register"
        );
    }

    #[test]
    fn link_finds_the_volunteer_registered_under_the_iin() {
        let mut s = subject(json!({"name": "  aliya   SARSENOVA ", "iin": IIN}));
        let key = LinkKey::Iin(Iin::parse(IIN).unwrap());
        let decision = link(&mut s, key, Some(registered()));
        assert_eq!(decision, Ok(LinkDecision::Existing("v-1".into())));
        // The given name is kept as given; the birth date is filled in.
        assert_eq!(s["name"], "  aliya   SARSENOVA ");
        assert_eq!(s["birthDate"], "1988-07-20");
    }

    #[test]
    fn link_matches_a_name_in_any_spelling() {
        for name in ["Әлия Сәрсенова", "алия сарсенова", "Aliya  Sarsenova"]
        {
            let mut s = subject(json!({ "name": name }));
            let decision = link(&mut s, LinkKey::Id("v-1".into()), Some(registered()));
            assert_eq!(decision, Ok(LinkDecision::Existing("v-1".into())), "{name}");
        }
    }

    #[test]
    fn link_registers_a_new_volunteer_from_the_subject() {
        let iin = Iin::parse(IIN).unwrap();
        for (name, names) in [
            (
                "Aliya S",
                Names {
                    en: Some("Aliya S".into()),
                    ..Names::default()
                },
            ),
            (
                " Алия ",
                Names {
                    ru: Some("Алия".into()),
                    ..Names::default()
                },
            ),
            (
                "Әлия",
                Names {
                    kk: Some("Әлия".into()),
                    ..Names::default()
                },
            ),
        ] {
            let mut s = subject(json!({"name": name, "iin": IIN}));
            let before = s.clone();
            let decision = link(&mut s, LinkKey::Iin(iin.clone()), None);
            assert_eq!(
                decision,
                Ok(LinkDecision::Register {
                    names,
                    iin: iin.clone()
                })
            );
            assert_eq!(s, before, "a new registration leaves the subject as given");
        }
        // Without a name there is nothing to register: not linked.
        let mut s = subject(json!({"iin": IIN}));
        assert_eq!(
            link(&mut s, LinkKey::Iin(iin), None),
            Ok(LinkDecision::NotLinked)
        );
    }

    #[test]
    fn link_without_an_iin_links_nobody() {
        let mut s = subject(json!({"name": "A"}));
        let before = s.clone();
        assert_eq!(
            link(&mut s, LinkKey::None, None),
            Ok(LinkDecision::NotLinked)
        );
        assert_eq!(s, before);
    }

    #[test]
    fn link_refuses_each_field_that_contradicts_the_register() {
        for (member, value, what) in [
            ("name", json!("Someone Else"), "names"),
            ("name", json!(7), "names"),
            ("iin", json!("050315600000"), "IIN"),
            ("birthDate", json!("1988-07-21"), "birth date"),
        ] {
            let mut s = subject(json!({ member: value }));
            let decision = link(&mut s, LinkKey::Id("v-1".into()), Some(registered()));
            let Err(e) = decision else {
                panic!("{member} accepted")
            };
            assert_eq!(
                e,
                LinkError::Mismatch {
                    field: match member {
                        "name" => "name",
                        "iin" => "iin",
                        _ => "birthDate",
                    },
                    what,
                    volunteer: "v-1".into(),
                    registrar: "office ast-01".into(),
                }
            );
            let detail = e.detail();
            assert!(detail.starts_with(&format!(
                "credentialSubject.{member} does not match the {what} of volunteer v-1"
            )));
            assert!(detail.contains("registered by office ast-01"), "{detail}");
            assert!(detail.contains("PATCH /api/v1/volunteers/v-1"), "{detail}");
        }
    }

    fn fact(id: &str, hours: f64, start: &str, end: &str, key: &str) -> HoursFact {
        HoursFact {
            credential_id: id.into(),
            office_id: "kz-75".into(),
            hours,
            start: IsoDate::parse(start).unwrap(),
            end: IsoDate::parse(end).unwrap(),
            event_key: key.into(),
        }
    }

    #[test]
    fn reject_daily_hours_over_cap_names_the_day_and_figures() {
        let limits = HoursCaps::default();
        // 20 h over two days (10 a day) already; 8 h more on the second day is 18.
        let existing = [fact("a", 20.0, "2026-03-01", "2026-03-02", "x")];
        let new = fact("", 8.0, "2026-03-02", "2026-03-02", "y");
        let r = check_against(&new, &existing, &limits, false).unwrap_err();
        assert_eq!(r.code, RefusalCode::DailyHoursOverCap);
        assert!(r.detail.contains("2026-03-02"), "{}", r.detail);
        assert!(
            r.detail.contains("18 hours (10 already recorded + 8"),
            "{}",
            r.detail
        );
        // 6 h fits exactly up to the cap.
        let ok = fact("", 6.0, "2026-03-02", "2026-03-02", "y");
        assert!(check_against(&ok, &existing, &limits, false).is_ok());
        // On a day the earlier credential does not cover, 16 h is fine.
        let other = fact("", 16.0, "2026-03-03", "2026-03-03", "y");
        assert!(check_against(&other, &existing, &limits, false).is_ok());
    }

    #[test]
    fn reject_duplicate_event_unless_confirmed() {
        let limits = HoursCaps::default();
        let existing = [fact("c1", 2.0, "2026-03-01", "2026-03-01", "k")];
        let new = fact("", 2.0, "2026-03-01", "2026-03-01", "k");
        let r = check_against(&new, &existing, &limits, false).unwrap_err();
        assert_eq!(r.code, RefusalCode::DuplicateEvent);
        assert_eq!(r.credential.as_deref(), Some("c1"));
        assert!(check_against(&new, &existing, &limits, true).is_ok());
    }

    #[test]
    fn refusals_name_no_record_of_another_office() {
        let limits = HoursCaps::default();
        let mut theirs = fact("c1", 10.0, "2026-03-01", "2026-03-01", "k");
        theirs.office_id = "kz-71".into();
        // A duplicate of another office's credential: said, not named.
        let new = fact("", 2.0, "2026-03-01", "2026-03-01", "k");
        let r = check_against(&new, std::slice::from_ref(&theirs), &limits, false).unwrap_err();
        assert_eq!(r.code, RefusalCode::DuplicateEvent);
        assert_eq!(r.credential, None);
        assert!(!r.detail.contains("c1"), "{}", r.detail);
        // With one of its own too, the office is told its own.
        let ours = fact("c2", 1.0, "2026-03-01", "2026-03-01", "k");
        let r = check_against(&new, &[theirs.clone(), ours], &limits, false).unwrap_err();
        assert_eq!(r.credential.as_deref(), Some("c2"));
        // Over the daily cap with another office's hours: no figures of theirs.
        let new = fact("", 8.0, "2026-03-01", "2026-03-01", "other");
        let r = check_against(&new, &[theirs], &limits, false).unwrap_err();
        assert_eq!(r.code, RefusalCode::DailyHoursOverCap);
        assert!(!r.detail.contains("10"), "{}", r.detail);
        assert!(!r.detail.contains("18"), "{}", r.detail);
        assert!(r.detail.contains("other offices"), "{}", r.detail);
    }

    #[test]
    fn reject_hours_over_cap() {
        let limits = HoursCaps::default();
        assert!(check_cap(1000.0, &limits).is_ok());
        assert_eq!(
            check_cap(1000.5, &limits).unwrap_err().code,
            RefusalCode::HoursOverCap
        );
    }

    #[test]
    fn refusal_codes_keep_their_wire_text() {
        assert_eq!(RefusalCode::HoursOverCap.as_str(), "HOURS_OVER_CAP");
        assert_eq!(RefusalCode::DuplicateEvent.as_str(), "DUPLICATE_EVENT");
        assert_eq!(
            RefusalCode::DailyHoursOverCap.as_str(),
            "DAILY_HOURS_OVER_CAP"
        );
    }

    #[test]
    fn event_key_normalises_case_and_spaces() {
        let d = IsoDate::parse("2026-03-01").unwrap();
        assert_eq!(
            event_key("Таза  Қазақстан ", "Astana VC", d, d),
            event_key("таза қазақстан", "ASTANA vc", d, d)
        );
        assert_ne!(
            event_key("a", "b", d, d),
            event_key("a", "b", d, IsoDate::parse("2026-03-02").unwrap())
        );
    }

    #[test]
    fn passport_summary_totals_by_year_and_category() {
        let d = |s| IsoDate::parse(s).unwrap();
        let facts = [
            PassportFact::Hours {
                hours: 2.5,
                category: Some(Category::Environment),
                end: d("2025-05-01"),
            },
            PassportFact::Hours {
                hours: 10.0,
                category: None,
                end: d("2026-05-01"),
            },
            PassportFact::Hours {
                hours: 1.25,
                category: Some(Category::Social),
                end: d("2026-06-01"),
            },
            PassportFact::Hours {
                hours: 0.5,
                category: Some(Category::Environment),
                end: d("2025-07-01"),
            },
        ];
        let m = passport_summary(d("2026-11-22"), &facts).unwrap();
        assert_eq!(m["totalHours"], json!(14.25));
        assert_eq!(m["events"], json!(4));
        assert_eq!(
            m["hoursByCategory"],
            json!([
                {"category": "social", "year": 2026, "hours": 1.25},
                {"category": "other", "year": 2026, "hours": 10},
                {"category": "environment", "year": 2025, "hours": 3},
            ])
        );
    }
}
