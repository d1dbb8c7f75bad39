//! `VolunteerAwardCredential`: an award ("Volunteer of the Year", the medal «Шапағат», a
//! letter of gratitude), with an `achievement` shaped as an Open Badges 3.0 `Achievement`.

use serde_json::{Map, Value};

use super::common::{date, invalid, long_text, put_opt, text, uri, Envelope, IsoDate, Obj, Person};
use super::reason;
use crate::error::Result;

/// The Open Badges 3.0 `Achievement` an award stands for (`credentialSubject.achievement`).
///
/// JSON: `{"id"?, "type": ["Achievement"], "name", "description"?, "criteria"?: {"narrative"}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Achievement {
    id: Option<String>,
    name: String,
    description: Option<String>,
    criteria_narrative: Option<String>,
}

impl Achievement {
    const MEMBERS: [&'static str; 5] = ["id", "type", "name", "description", "criteria"];

    fn parse(value: &Value, path: &str) -> Result<Achievement> {
        let obj = Obj::new(value, path, &Self::MEMBERS)?;
        let id = obj.opt("id", uri)?;
        obj.req("type", |v, p| match v.as_array().map(Vec::as_slice) {
            Some([t]) if t == "Achievement" => Ok(()),
            _ => Err(invalid(p, reason::ACHIEVEMENT_TYPE)),
        })?;
        let name = obj.req("name", text)?;
        let description = obj.opt("description", long_text)?;
        let criteria_narrative = obj.opt("criteria", |v, p| {
            let criteria = Obj::new(v, p, &["narrative"])?;
            criteria.req("narrative", long_text)
        })?;
        Ok(Achievement {
            id,
            name,
            description,
            criteria_narrative,
        })
    }

    fn to_json(&self) -> Map<String, Value> {
        let mut out = Map::new();
        put_opt(&mut out, "id", self.id.as_deref());
        out.insert("type".into(), Value::Array(vec!["Achievement".into()]));
        out.insert("name".into(), self.name.clone().into());
        put_opt(&mut out, "description", self.description.as_deref());
        if let Some(narrative) = &self.criteria_narrative {
            let mut criteria = Map::new();
            criteria.insert("narrative".into(), narrative.clone().into());
            out.insert("criteria".into(), Value::Object(criteria));
        }
        out
    }

    /// The OB 3.0 `Achievement.id` (a URI naming the award across recipients), if given.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The achievement's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the achievement is, if given.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// `criteria.narrative`: what one does to earn it, if given.
    pub fn criteria_narrative(&self) -> Option<&str> {
        self.criteria_narrative.as_deref()
    }
}

/// The subject of a `VolunteerAwardCredential`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwardSubject {
    person: Person,
    award: String,
    awarded_by: String,
    award_date: IsoDate,
    achievement: Achievement,
}

impl AwardSubject {
    /// The members this subject may have, in the order [`to_json`](Self::to_json) writes them.
    pub const MEMBERS: [&'static str; 11] = [
        "id",
        "name",
        "iin",
        "birthDate",
        "email",
        "phone",
        "region",
        "award",
        "awardedBy",
        "awardDate",
        "achievement",
    ];

    /// The scalar members as dotted paths, the nested achievement's included
    /// (`achievement.type` is an array, so not among them).
    pub const PATHS: [&'static str; 14] = [
        "id",
        "name",
        "iin",
        "birthDate",
        "email",
        "phone",
        "region",
        "award",
        "awardedBy",
        "awardDate",
        "achievement.id",
        "achievement.name",
        "achievement.description",
        "achievement.criteria.narrative",
    ];

    pub(crate) fn parse(value: &Value, path: &str, env: Envelope) -> Result<AwardSubject> {
        let obj = Obj::new(value, path, &Self::MEMBERS)?;
        let person = Person::parse(&obj, env)?;
        let award = obj.req("award", text)?;
        let awarded_by = obj.req("awardedBy", text)?;
        let award_date = obj.req("awardDate", date)?;
        // Awards are certified after they are given; one day of slack covers UTC+5.
        if award_date > env.valid_from_day.next_day() {
            return Err(invalid(
                obj.path("awardDate"),
                reason::DATE_AFTER_VALID_FROM,
            ));
        }
        let achievement = obj.req("achievement", Achievement::parse)?;
        Ok(AwardSubject {
            person,
            award,
            awarded_by,
            award_date,
            achievement,
        })
    }

    /// The JSON form, members in [`MEMBERS`](Self::MEMBERS) order.
    pub fn to_json(&self) -> Map<String, Value> {
        let mut out = Map::new();
        self.person.write_identity(&mut out);
        self.person.write_region(&mut out);
        out.insert("award".into(), self.award.clone().into());
        out.insert("awardedBy".into(), self.awarded_by.clone().into());
        out.insert("awardDate".into(), self.award_date.to_string().into());
        out.insert(
            "achievement".into(),
            Value::Object(self.achievement.to_json()),
        );
        out
    }

    /// Who received the award.
    pub fn person(&self) -> &Person {
        &self.person
    }

    /// The award's name as given (`Volunteer of the Year 2026`, `«Шапағат» медалі`).
    pub fn award(&self) -> &str {
        &self.award
    }

    /// The authority that gave the award (not necessarily the office that issues the
    /// credential).
    pub fn awarded_by(&self) -> &str {
        &self.awarded_by
    }

    /// The day the award was given.
    pub fn award_date(&self) -> IsoDate {
        self.award_date
    }

    /// The Open Badges 3.0 view of the award.
    pub fn achievement(&self) -> &Achievement {
        &self.achievement
    }
}
