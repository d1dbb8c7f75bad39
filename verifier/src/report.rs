//! The verdict for people: localized messages and a plain-text report an HR officer reads.

use std::fmt::Write as _;

use serde_json::Value;

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
        let mut row = |label: Text, value: String| {
            let _ = writeln!(out, "  {:<18} {}", format!("{}:", t(label)), value);
        };
        if let Some(kind) = self.types.iter().find_map(|ty| type_text(ty)) {
            row(Text::Type, t(kind).to_owned());
        }
        if let Some(iss) = &self.issuer {
            let name = self
                .issuer_name
                .as_ref()
                .and_then(|n| n.get(lang.as_str()).or_else(|| n.get("en")))
                .and_then(Value::as_str);
            row(
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
            (Text::AwardDate, "awardDate"),
            (Text::Region, "region"),
        ] {
            if let Some(v) = s(key) {
                row(label, v);
            }
        }
        if let Some(h) = subject.get("hours").and_then(Value::as_f64) {
            row(Text::Hours, i18n::hours(h, lang));
        }
        if let (Some(a), Some(b)) = (s("periodStart"), s("periodEnd")) {
            row(Text::Period, format!("{a} – {b}"));
        }
        if let Some(v) = &self.valid_from {
            row(Text::ValidFrom, v.clone());
        }
        if let Some(v) = &self.valid_until {
            row(Text::ValidUntil, v.clone());
        }
        if self.issuer.is_some() {
            row(
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
                row(Text::Status, status);
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
