//! The verdict for people: localized messages and a plain-text report an HR officer reads.

use std::fmt::Write as _;

use serde_json::Value;
use vpass_credential::limits::MAX_PASSPORT_ENTRIES;
use vpass_credential::model::{Category, SkillLevel};

use crate::i18n::{self, Lang, Text};
use crate::verdict::{Finding, Verdict};

/// The warning codes the verifier emits (besides core codes), with their texts.
fn warning_text(code: &str) -> Option<Text> {
    Some(match code {
        "AUD_NOT_CHECKED" => Text::AudNotChecked,
        "NONCE_NOT_CHECKED" => Text::NonceNotChecked,
        "ISSUER_AUTHORITY_NOT_CHECKED" => Text::IssuerAuthorityNotChecked,
        "STATUS_NOT_CHECKED" => Text::StatusNotChecked,
        "NOT_HOLDER_BOUND" => Text::HolderNotBound,
        _ => return None,
    })
}

fn localize_finding(f: &mut Finding, lang: Lang) {
    if let Some(code) = f.code_value {
        f.message = i18n::code_message(code, lang).to_owned();
    } else if let Some(t) = warning_text(f.code) {
        f.message = i18n::text(t, lang).to_owned();
    }
}

impl Verdict {
    /// The same verdict with every message in `lang`.
    pub fn localized(mut self, lang: Lang) -> Verdict {
        for f in self.errors.iter_mut().chain(self.warnings.iter_mut()) {
            localize_finding(f, lang);
        }
        self
    }

    /// A plain-text report: headline, reasons, the credential's main facts, warnings.
    pub fn render_text(&self, lang: Lang) -> String {
        let t = |x| i18n::text(x, lang);
        let mut out = String::new();
        let mark = if self.valid { "✔" } else { "✘" };
        let _ = writeln!(
            out,
            "{mark} {}",
            t(if self.valid {
                Text::Valid
            } else {
                Text::NotValid
            })
        );
        if !self.errors.is_empty() {
            let _ = writeln!(out, "{}:", t(Text::Reasons));
            for e in &self.errors {
                let _ = writeln!(out, "  - {} [{}]", e.message, e.code);
            }
        }
        let field = |out: &mut String, label: Text, value: String| row(out, t(label), &value);
        if let Some(kind) = self.types.iter().find_map(|ty| type_text(ty)) {
            field(&mut out, Text::Type, t(kind).to_owned());
        }
        if let Some(iss) = &self.issuer {
            let name = self
                .issuer_name
                .as_ref()
                .and_then(|n| n.get(lang.as_str()).or_else(|| n.get("en")))
                .and_then(Value::as_str);
            field(
                &mut out,
                Text::Issuer,
                name.map_or_else(|| iss.clone(), |n| format!("{n} ({iss})")),
            );
        }
        let subject = self
            .claims
            .get("credentialSubject")
            .cloned()
            .unwrap_or(Value::Null);
        let s = |k: &str| subject.get(k).and_then(Value::as_str).map(str::to_owned);
        for (label, key) in [
            (Text::Name, "name"),
            (Text::Activity, "activity"),
            (Text::Organization, "organization"),
            (Text::Category, "category"),
            (Text::Skill, "skill"),
            (Text::Level, "level"),
            (Text::TrainingProvider, "trainingProvider"),
            (Text::Award, "award"),
            (Text::AwardedBy, "awardedBy"),
            (Text::AwardDate, "awardDate"),
            (Text::Region, "region"),
        ] {
            if let Some(v) = s(key) {
                field(&mut out, label, named(key, v, lang));
            }
        }
        if let Some(h) = subject.get("hours").and_then(Value::as_f64) {
            field(&mut out, Text::Hours, i18n::hours(h, lang));
        }
        if let (Some(a), Some(b)) = (s("periodStart"), s("periodEnd")) {
            field(&mut out, Text::Period, format!("{a} – {b}"));
        }
        render_passport(&mut out, &subject, lang);
        if let Some(v) = &self.valid_from {
            field(&mut out, Text::ValidFrom, v.clone());
        }
        if let Some(v) = &self.valid_until {
            field(&mut out, Text::ValidUntil, v.clone());
        }
        if self.issuer.is_some() {
            field(
                &mut out,
                Text::Holder,
                t(if self.holder_bound {
                    Text::HolderBound
                } else {
                    Text::HolderNotBound
                })
                .to_owned(),
            );
            let status = match (&self.status.checked, &self.status.as_of) {
                (true, Some(at)) => {
                    format!("{}; {} {at}", t(Text::NotRevoked), t(Text::StatusAsOf))
                }
                (true, None) => t(Text::NotRevoked).to_owned(),
                (false, _) => t(Text::StatusNotChecked).to_owned(),
            };
            if !self.status.revoked {
                field(&mut out, Text::Status, status);
            }
        }
        if !self.warnings.is_empty() {
            let _ = writeln!(out, "{}:", t(Text::Warnings));
            for w in &self.warnings {
                let _ = writeln!(out, "  ! {} [{}]", w.message, w.code);
            }
        }
        out
    }
}

fn type_text(ty: &str) -> Option<Text> {
    Some(match ty {
        "VolunteerHoursCredential" => Text::HoursCredential,
        "VolunteerSkillCredential" => Text::SkillCredential,
        "VolunteerAwardCredential" => Text::AwardCredential,
        "VolunteerPassportCredential" => Text::PassportCredential,
        _ => return None,
    })
}

/// One `label: value` line of the report, values aligned.
fn row(out: &mut String, label: &str, value: &str) {
    let _ = writeln!(out, "  {:<18} {value}", format!("{label}:"));
}

/// A subject value for people: activity categories and skill levels translated, anything
/// else (or a name vpass does not know) as written.
fn named(key: &str, value: String, lang: Lang) -> String {
    let text = match key {
        "category" => Category::parse(&value).map(i18n::category_text),
        "level" => SkillLevel::parse(&value).map(i18n::level_text),
        _ => None,
    };
    text.map_or(value, |t| i18n::text(t, lang).to_owned())
}

/// The members only a passport has: the day of the records, the totals, hours by year and
/// category (each year with its subtotal), skills and awards. Entries that lack a member
/// are skipped; at most [`MAX_PASSPORT_ENTRIES`] of each list are shown, as many as a valid
/// passport may have.
fn render_passport(out: &mut String, subject: &Value, lang: Lang) {
    let t = |x| i18n::text(x, lang);
    let str_of = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    if let Some(day) = str_of(subject, "asOf") {
        row(out, t(Text::PassportAsOf), &day);
    }
    if let Some(h) = subject.get("totalHours").and_then(Value::as_f64) {
        row(out, t(Text::TotalHours), &i18n::hours(h, lang));
    }
    if let Some(n) = subject.get("events").and_then(Value::as_u64) {
        row(out, t(Text::Events), &n.to_string());
    }
    let list = |key: &str| {
        subject
            .get(key)
            .and_then(Value::as_array)
            .map(|items| items.iter().take(MAX_PASSPORT_ENTRIES).collect::<Vec<_>>())
    };
    if let Some(entries) = list("hoursByCategory") {
        let entries: Vec<(u64, String, f64)> = entries
            .into_iter()
            .filter_map(|e| {
                let year = e.get("year").and_then(Value::as_u64)?;
                let category = named("category", str_of(e, "category")?, lang);
                Some((year, category, e.get("hours").and_then(Value::as_f64)?))
            })
            .collect();
        if entries.is_empty() {
            row(out, t(Text::HoursByCategory), "—");
        } else {
            let _ = writeln!(out, "  {}:", t(Text::HoursByCategory));
        }
        // A passport lists its years newest first, each year's entries together.
        for group in entries.chunk_by(|a, b| a.0 == b.0) {
            let year = group.first().map_or(0, |e| e.0);
            let subtotal: f64 = group.iter().map(|e| e.2).sum();
            let _ = writeln!(out, "    {year}: {}", i18n::hours(subtotal, lang));
            for (_, category, hours) in group {
                let _ = writeln!(out, "      {category}: {}", i18n::hours(*hours, lang));
            }
        }
    }
    if let Some(skills) = list("skills") {
        if skills.is_empty() {
            row(out, t(Text::Skills), "—");
        } else {
            let _ = writeln!(out, "  {}:", t(Text::Skills));
        }
        for skill in skills {
            let Some(name) = str_of(skill, "skill") else {
                continue;
            };
            let mut line = format!("    - {name}");
            if let Some(level) = str_of(skill, "level") {
                let _ = write!(line, " ({})", named("level", level, lang));
            }
            if let Some(provider) = str_of(skill, "trainingProvider") {
                let _ = write!(line, "; {}: {provider}", t(Text::TrainingProvider));
            }
            if let Some(until) = str_of(skill, "validUntil") {
                let _ = write!(line, "; {}: {until}", t(Text::ValidUntil));
            }
            let _ = writeln!(out, "{line}");
        }
    }
    if let Some(awards) = list("awards") {
        if awards.is_empty() {
            row(out, t(Text::Awards), "—");
        } else {
            let _ = writeln!(out, "  {}:", t(Text::Awards));
        }
        for award in awards {
            let Some(name) = str_of(award, "award") else {
                continue;
            };
            let mut line = format!("    - {name}");
            if let Some(day) = str_of(award, "awardDate") {
                let _ = write!(line, " ({day})");
            }
            if let Some(by) = str_of(award, "awardedBy") {
                let _ = write!(line, "; {}: {by}", t(Text::AwardedBy));
            }
            let _ = writeln!(out, "{line}");
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::sample::Sample;

    /// The example passport, issued and presented like the standard sample (`iin` and
    /// `region` hidden, key binding), then verified.
    fn verified_passport() -> Verdict {
        let text = include_str!("../../examples/passport.json");
        let claims = vpass_credential::json::parse(text.as_bytes(), "passport").unwrap();
        let s = Sample::new(&claims).unwrap();
        let verdict = crate::verify(&s.qr_text, &s.store, &s.policy);
        assert!(verdict.valid, "{:?}", verdict.errors);
        verdict
    }

    #[track_caller]
    fn assert_lines(report: &str, lines: &[&str]) {
        for line in lines {
            assert!(
                report.lines().any(|l| l.trim_end() == *line),
                "missing {line:?} in\n{report}"
            );
        }
    }

    #[test]
    fn passport_report_shows_the_record_in_every_language() {
        let verdict = verified_passport();
        let en = verdict.clone().localized(Lang::En).render_text(Lang::En);
        assert_lines(
            &en,
            &[
                "✔ VALID — the credential is authentic and in force",
                "  Type:              Volunteer passport",
                "  Full name:         Айгерим Нурланова",
                "  Records as of:     2026-12-10",
                "  Total hours:       316.5 hours",
                "  Activities counted: 9",
                "  Hours by category and year:",
                "    2026: 220 hours",
                "      Social help: 64 hours",
                "      Environment: 120 hours",
                "      Emergencies and rescue: 36 hours",
                "    2025: 96.5 hours",
                "      Environment: 56 hours",
                "      Education: 40.5 hours",
                "  Skills:",
                "    - First aid (basic); Training provider: Kazakhstan Red Crescent; \
                 Valid until: 2028-09-15",
                "    - Search and rescue (intermediate); Training provider: Astana Volunteer \
                 Center",
                "  Awards:",
                "    - Шапағат (2026-12-05); Awarded by: National Volunteer Center",
            ],
        );
        let ru = verdict.clone().localized(Lang::Ru).render_text(Lang::Ru);
        assert_lines(
            &ru,
            &[
                "  Вид документа:     Паспорт волонтёра",
                "  Сведения на дату:  2026-12-10",
                "  Всего часов:       316,5 часа",
                "  Учтено мероприятий: 9",
                "  Часы по категориям и годам:",
                "    2026: 220 часов",
                "      Социальная помощь: 64 часа",
                "      Охрана природы: 120 часов",
                "      Чрезвычайные ситуации и спасение: 36 часов",
                "    2025: 96,5 часа",
                "      Охрана природы: 56 часов",
                "      Образование: 40,5 часа",
                "  Навыки:",
                "    - First aid (базовый); Обучающая организация: Kazakhstan Red Crescent; \
                 Действует до: 2028-09-15",
                "  Награды:",
                "    - Шапағат (2026-12-05); Кем награждён: National Volunteer Center",
            ],
        );
        let kk = verdict.clone().localized(Lang::Kk).render_text(Lang::Kk);
        assert_lines(
            &kk,
            &[
                "  Құжат түрі:        Еріктінің төлқұжаты",
                "  Мәліметтер күні:   2026-12-10",
                "  Барлық сағат саны: 316,5 сағат",
                "  Есепке алынған іс-шаралар: 9",
                "  Санаттар мен жылдар бойынша сағаттар:",
                "    2026: 220 сағат",
                "      Әлеуметтік көмек: 64 сағат",
                "      Табиғатты қорғау: 120 сағат",
                "      Төтенше жағдайлар және құтқару: 36 сағат",
                "    2025: 96,5 сағат",
                "      Білім беру: 40,5 сағат",
                "  Дағдылар:",
                "    - Search and rescue (орта); Оқытқан ұйым: Astana Volunteer Center",
                "  Марапаттар:",
                "    - Шапағат (2026-12-05); Марапаттаған: National Volunteer Center",
            ],
        );
        // The identifying members stayed hidden.
        for report in [&en, &ru, &kk] {
            assert!(!report.contains("950101400121") && !report.contains("KZ-AST"));
        }
    }

    #[test]
    fn passport_report_marks_empty_lists() {
        let mut verdict = verified_passport();
        let subject = &mut verdict.claims["credentialSubject"];
        for list in ["hoursByCategory", "skills", "awards"] {
            subject[list] = Value::Array(Vec::new());
        }
        let en = verdict.render_text(Lang::En);
        assert_lines(
            &en,
            &[
                "  Hours by category and year: —",
                "  Skills:            —",
                "  Awards:            —",
            ],
        );
        assert!(!en.contains("2026:"), "{en}");
    }

    #[test]
    fn categories_and_levels_are_translated_unknown_names_kept() {
        assert_eq!(
            named("category", "animals".into(), Lang::Ru),
            "Помощь животным"
        );
        assert_eq!(named("level", "advanced".into(), Lang::Kk), "жоғары");
        assert_eq!(named("category", "gardening".into(), Lang::En), "gardening");
        assert_eq!(named("activity", "social".into(), Lang::En), "social");
    }
}
