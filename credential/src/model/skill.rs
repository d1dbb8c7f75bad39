//! `VolunteerSkillCredential`: a skill gained in a training (first aid, search and rescue,
//! emergency-zone readiness...), with its level and, for skills that lapse, an end date.

use serde_json::{Map, Value};

use super::common::{self, date, invalid, put_opt, text, Envelope, IsoDate, Obj, Person};
use super::reason;
use crate::error::Result;

/// How far a volunteer has come in a skill (`credentialSubject.level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SkillLevel {
    /// `basic`
    Basic,
    /// `intermediate`
    Intermediate,
    /// `advanced`
    Advanced,
    /// `instructor`: may train others.
    Instructor,
}

impl SkillLevel {
    /// Every level, lowest first.
    pub const ALL: [SkillLevel; 4] = [
        SkillLevel::Basic,
        SkillLevel::Intermediate,
        SkillLevel::Advanced,
        SkillLevel::Instructor,
    ];

    /// The JSON form (`advanced`).
    pub const fn as_str(self) -> &'static str {
        match self {
            SkillLevel::Basic => "basic",
            SkillLevel::Intermediate => "intermediate",
            SkillLevel::Advanced => "advanced",
            SkillLevel::Instructor => "instructor",
        }
    }

    /// Look up the JSON form (exact, lower case).
    pub fn parse(s: &str) -> Option<SkillLevel> {
        SkillLevel::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

/// The subject of a `VolunteerSkillCredential`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkillSubject {
    person: Person,
    skill: String,
    level: Option<SkillLevel>,
    training_provider: String,
    valid_until: Option<IsoDate>,
}

impl SkillSubject {
    /// The members this subject may have, in the order [`to_json`](Self::to_json) writes them.
    pub const MEMBERS: [&'static str; 11] = [
        "id",
        "name",
        "iin",
        "birthDate",
        "email",
        "phone",
        "region",
        "skill",
        "level",
        "trainingProvider",
        "validUntil",
    ];

    pub(crate) fn parse(value: &Value, path: &str, env: Envelope) -> Result<SkillSubject> {
        let obj = Obj::new(value, path, &Self::MEMBERS)?;
        let person = Person::parse(&obj, env)?;
        let skill = obj.req("skill", text)?;
        let level = obj.opt("level", |v, p| {
            SkillLevel::parse(common::string(v, p)?)
                .ok_or_else(|| invalid(p, reason::NOT_SKILL_LEVEL))
        })?;
        let training_provider = obj.req("trainingProvider", text)?;
        let valid_until = obj.opt("validUntil", date)?;
        // A skill that had already lapsed when the credential took effect is a data error.
        if valid_until.is_some_and(|d| d < env.valid_from_day) {
            return Err(invalid(
                obj.path("validUntil"),
                reason::DATE_BEFORE_VALID_FROM,
            ));
        }
        Ok(SkillSubject {
            person,
            skill,
            level,
            training_provider,
            valid_until,
        })
    }

    /// The JSON form, members in [`MEMBERS`](Self::MEMBERS) order.
    pub fn to_json(&self) -> Map<String, Value> {
        let mut out = Map::new();
        self.person.write_identity(&mut out);
        self.person.write_region(&mut out);
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
        out
    }

    /// Who holds the skill.
    pub fn person(&self) -> &Person {
        &self.person
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

    /// The last day the skill counts (e.g. a first-aid certificate), if it lapses. This is the
    /// skill's own date, independent of the credential's `validUntil`.
    pub fn valid_until(&self) -> Option<IsoDate> {
        self.valid_until
    }
}
