//! The volunteer register in the service: registration and look-up, linking issuance
//! requests to volunteers, listing credentials, the passport summary; and sealing what holds
//! national IDs at rest (the IIN itself, stored tokens, stored idempotent answers).

use axum::http::StatusCode;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Map, Value};
use vpass_credential::limits::MAX_REQUEST_ID;
use vpass_credential::model::{Category, Credential, CredentialKind, Iin, IsoDate, VCDM2_CONTEXT};
use vpass_credential::text::{self, Lines};
use vpass_credential::time::UnixTime;

use super::{check_issue, draft_issue_value, Draft, Operator, Origin, Role, Service, NATIONAL};
use crate::audit::AuditEntry;
use crate::crypto;
use crate::http::error::{ApiError, ProblemCode};
use crate::store::{
    Answer, CredentialFilter, CredentialRow, Idem, StoreError, VolunteerLink, VolunteerRow,
};
use crate::volunteers::{self, LinkDecision, LinkError, LinkKey, Names, PassportFact, Registered};

/// Prefix of a stored token sealed under the KEK (older rows hold the token as issued).
const SEALED_TOKEN: &str = "sealed:v1:";
/// Default page of a listing.
const DEFAULT_LIMIT: i64 = 50;
/// Largest page of a listing.
pub const MAX_LIMIT: i64 = 100;
/// A passport is valid this long (one year).
pub const PASSPORT_VALIDITY: i64 = 365 * 24 * 3600;

/// 422 with a code at a field.
fn unprocessable(code: ProblemCode, field: &str, detail: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail).at(field)
}

/// A linking refusal as a problem.
fn link_error(e: LinkError) -> ApiError {
    match &e {
        LinkError::SubjectRequired => ApiError::invalid_field("credentialSubject", &e.detail()),
        LinkError::Unknown(_) => {
            unprocessable(ProblemCode::VolunteerUnknown, "volunteer", e.detail())
        }
        LinkError::Mismatch { field, .. } => unprocessable(
            ProblemCode::VolunteerMismatch,
            &format!("credentialSubject.{field}"),
            e.detail(),
        ),
    }
}

/// The UTC day of a Unix time.
fn utc_day(t: UnixTime) -> Option<IsoDate> {
    let d = time::OffsetDateTime::from_unix_timestamp(t.0).ok()?.date();
    IsoDate::parse(&format!(
        "{:04}-{:02}-{:02}",
        d.year(),
        u8::from(d.month()),
        d.day()
    ))
}

fn names_of(v: &VolunteerRow) -> Names {
    Names {
        kk: v.name_kk.clone(),
        ru: v.name_ru.clone(),
        en: v.name_en.clone(),
    }
}

/// Query-string pairs, percent-decoded; a parameter given twice is refused, and so is a name
/// or value that breaks the text rule ([`text::check_chars`]: NUL, ESC, bidi controls; and
/// invalid UTF-8, which decoding turns into U+FFFD) or a value longer than
/// [`MAX_REQUEST_ID`] characters, before any of them reaches the database.
pub fn query_pairs(query: Option<&str>) -> Result<Vec<(String, String)>, ApiError> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        if text::check_chars(&k, Lines::One).is_err() || k.contains('\u{fffd}') {
            return Err(ApiError::invalid_field(
                "query",
                "has a parameter name that is not text",
            ));
        }
        if out.iter().any(|(seen, _)| *seen == k) {
            return Err(ApiError::invalid_field(&k, "is given more than once"));
        }
        text::check_chars(&v, Lines::One).map_err(|why| ApiError::invalid_field(&k, why))?;
        if v.contains('\u{fffd}') {
            return Err(ApiError::invalid_field(&k, "must be UTF-8 text"));
        }
        if v.chars().nth(MAX_REQUEST_ID).is_some() {
            return Err(ApiError::invalid_field(&k, "is too long"));
        }
        out.push((k.into_owned(), v.into_owned()));
    }
    Ok(out)
}

fn parse_limit(v: &str) -> Result<i64, ApiError> {
    v.parse::<i64>()
        .ok()
        .filter(|n| (1..=MAX_LIMIT).contains(n))
        .ok_or_else(|| ApiError::invalid_field("limit", "must be an integer from 1 to 100"))
}

/// Volunteers read ahead for a batch, by the blind index of their IIN.
pub(super) type Known = std::collections::HashMap<Vec<u8>, VolunteerRow>;

impl Service {
    /// The registered volunteers of the IINs that batch rows name without a `volunteer`, in
    /// one query per 500 (instead of one per row).
    pub(super) async fn known_volunteers(
        &self,
        rows: &[Result<Value, ApiError>],
    ) -> Result<Known, ApiError> {
        let indices: Vec<Vec<u8>> = rows
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .filter(|v| v.get("volunteer").is_none())
            .filter_map(|v| v.get("credentialSubject")?.get("iin")?.as_str())
            .filter_map(|i| Iin::parse(i).ok())
            .map(|i| self.iin_index(i.as_str()))
            .collect();
        Ok(self
            .store
            .volunteers_by_iin_indices(&indices)
            .await?
            .into_iter()
            .map(|v| (v.iin_index.clone(), v))
            .collect())
    }

    // ---- sealing -------------------------------------------------------------------------

    /// The IIN's blind index: HMAC-SHA256 under the key derived from the KEK.
    fn iin_index(&self, iin: &str) -> Vec<u8> {
        crypto::hmac_sha256(&self.blind_key, iin.as_bytes()).to_vec()
    }

    /// A token as stored: sealed under the KEK, bound to the credential id.
    pub(super) fn seal_token(&self, id: &str, token: &str) -> String {
        let sealed = self.kek.seal(&format!("credential:{id}"), token.as_bytes());
        format!("{SEALED_TOKEN}{}", URL_SAFE_NO_PAD.encode(sealed))
    }

    /// A stored token opened (tokens stored before sealing come back as they are).
    pub(super) fn open_token(&self, id: &str, stored: &str) -> Result<String, ApiError> {
        let Some(b64) = stored.strip_prefix(SEALED_TOKEN) else {
            return Ok(stored.to_owned());
        };
        let sealed = URL_SAFE_NO_PAD
            .decode(b64)
            .map_err(|_| ApiError::internal(&"stored token is not base64url"))?;
        let bytes = self
            .kek
            .open(&format!("credential:{id}"), &sealed)
            .map_err(|e| ApiError::internal(&e))?;
        String::from_utf8(bytes).map_err(|_| ApiError::internal(&"stored token is not UTF-8"))
    }

    /// An answer as stored under its idempotency key: sealed (it may hold tokens and IINs).
    pub(super) fn seal_answer(&self, idem: &Idem<'_>, body: Vec<u8>) -> Vec<u8> {
        self.kek.seal(
            &format!("idempotency:{}:{}", idem.operator_id, idem.key),
            &body,
        )
    }

    /// Open a stored answer (`status` for a fresh one). Answers stored before sealing are
    /// JSON and come back as they are (a sealed one starts with its version byte, 1).
    pub(super) fn open_answer(
        &self,
        idem: &Idem<'_>,
        status: u16,
        answer: Answer,
    ) -> Result<(u16, Vec<u8>), ApiError> {
        let (status, body) = match answer {
            Answer::Fresh(body) => (status, body),
            Answer::Replayed { status, body } => (status, body),
        };
        if body.first() != Some(&1) {
            return Ok((status, body));
        }
        let opened = self
            .kek
            .open(
                &format!("idempotency:{}:{}", idem.operator_id, idem.key),
                &body,
            )
            .map_err(|e| ApiError::internal(&e))?;
        Ok((status, opened))
    }

    fn open_iin(&self, v: &VolunteerRow) -> Result<String, ApiError> {
        let bytes = self
            .kek
            .open(&format!("volunteer-iin:{}", v.id), &v.iin_sealed)
            .map_err(|e| ApiError::internal(&e))?;
        String::from_utf8(bytes).map_err(|_| ApiError::internal(&"sealed IIN is not UTF-8"))
    }

    /// A volunteer as the API shows it: the IIN opened, in full only if `full_iin` (else
    /// masked, see [`mask_iin`]).
    fn volunteer_json(&self, v: &VolunteerRow, full_iin: bool) -> Result<Value, ApiError> {
        let iin = self.open_iin(v)?;
        Ok(json!({
            "id": v.id,
            "name": names_of(v).to_json(),
            "iin": if full_iin { iin } else { mask_iin(&iin) },
            "birthDate": v.birth_date,
            "email": v.email,
            "phone": v.phone,
            "region": v.region,
            "registered_at": v.created_at.to_rfc3339(),
            "registered_by": v.created_by,
        }))
    }

    /// A new register row (IIN sealed under its id, blind index computed).
    fn new_volunteer(
        &self,
        op: &Operator,
        names: &Names,
        iin: &Iin,
        person: &Map<String, Value>,
        now: UnixTime,
    ) -> VolunteerRow {
        let id = crypto::random_uuid();
        let text = |k: &str| person.get(k).and_then(Value::as_str).map(str::to_owned);
        VolunteerRow {
            iin_index: self.iin_index(iin.as_str()),
            iin_sealed: self
                .kek
                .seal(&format!("volunteer-iin:{id}"), iin.as_str().as_bytes()),
            id,
            name_kk: names.kk.clone(),
            name_ru: names.ru.clone(),
            name_en: names.en.clone(),
            name_search: names.search_text(),
            birth_date: iin.birth_date().to_string(),
            email: text("email"),
            phone: text("phone"),
            region: text("region"),
            created_at: now,
            created_by: op.id.clone(),
        }
    }

    // ---- registration and look-up --------------------------------------------------------

    /// Register a volunteer, idempotently (admins and officers).
    pub async fn register_volunteer(
        &self,
        op: &Operator,
        idem_key: &str,
        body: &[u8],
    ) -> Result<(u16, Vec<u8>), ApiError> {
        if op.role == Role::Auditor {
            return Err(ApiError::forbidden("auditors may not register volunteers"));
        }
        let value = vpass_credential::json::parse(body, "body")
            .map_err(|e| ApiError::from_credential(&e, ""))?;
        let Value::Object(obj) = value else {
            return Err(ApiError::bad_request(
                ProblemCode::MalformedVolunteer,
                "the body must be a JSON object: {\"name\": {\"kk\", \"ru\", \"en\"}, \"iin\", ...}",
            ));
        };
        const MEMBERS: [&str; 6] = ["name", "iin", "birthDate", "email", "phone", "region"];
        if let Some(k) = obj.keys().find(|k| !MEMBERS.contains(&k.as_str())) {
            return Err(ApiError::invalid_field(k, "is not a known member"));
        }
        let names = parse_names(obj.get("name"))?;
        let now = self.clock.now();
        // The person members are checked exactly as the credential model checks them, on a
        // throwaway hours credential (so the rules cannot drift apart).
        let mut person = obj.clone();
        person.remove("name");
        if !person.contains_key("iin") {
            return Err(ApiError::invalid_field("iin", "is required"));
        }
        let iin = check_person(&names, &person, now)?;
        let row = self.new_volunteer(op, &names, &iin, &person, now);
        let request_hash = self.request_hash("POST /api/v1/volunteers", body);
        let idem = Idem {
            operator_id: &op.id,
            key: idem_key,
            request_hash: &request_hash,
        };
        // The caller gave the IIN: it comes back in full.
        let answer = self.seal_answer(
            &idem,
            self.volunteer_json(&row, true)?.to_string().into_bytes(),
        );
        let entry = AuditEntry {
            at: now.0,
            actor: op.id.clone(),
            action: "volunteer.register".into(),
            office_id: op.role.issuing_office().map(str::to_owned),
            subject: Some(row.id.clone()),
            request_id: Some(idem_key.to_owned()),
            detail: None,
        };
        let stored = self
            .store
            .register_volunteer(&idem, &row, &answer, &entry)
            .await?;
        self.open_answer(&idem, 201, stored)
    }

    /// A registered volunteer `op` may see (else 404): officers see their office's part of
    /// the register ([`crate::store::Store::volunteer_in_office`]); admins and auditors all.
    async fn visible_volunteer(&self, op: &Operator, id: &str) -> Result<VolunteerRow, ApiError> {
        let v = self
            .store
            .volunteer(id)
            .await?
            .ok_or_else(|| ApiError::not_found("volunteer"))?;
        if let Role::Officer(office) = &op.role {
            if !self.store.volunteer_in_office(&v.id, office).await? {
                return Err(ApiError::not_found("volunteer"));
            }
        }
        Ok(v)
    }

    /// Record a read of personal data in the register: one entry per request.
    async fn audit_read(
        &self,
        op: &Operator,
        action: &str,
        subject: Option<String>,
        detail: String,
    ) -> Result<(), ApiError> {
        self.store
            .append_audit(&AuditEntry {
                at: self.clock.now().0,
                actor: op.id.clone(),
                action: action.into(),
                office_id: op.role.scope().map(str::to_owned),
                subject,
                request_id: None,
                detail: Some(detail),
            })
            .await?;
        Ok(())
    }

    /// A volunteer by id, audited: officers only in their office's part of the register; the
    /// IIN in full to admins (who correct the register), masked to everyone else.
    pub async fn volunteer(&self, op: &Operator, id: &str) -> Result<Value, ApiError> {
        let v = self.visible_volunteer(op, id).await?;
        let body = self.volunteer_json(&v, op.role == Role::Admin)?;
        self.audit_read(op, "volunteer.read", Some(v.id.clone()), "by id".into())
            .await?;
        Ok(body)
    }

    /// Find volunteers: `iin` (exact: anyone's, the IIN in full since the caller has it),
    /// `name` (case-insensitive substring over the spellings) or neither (all), by id, IINs
    /// masked, officers seeing only their office's part of the register; `limit` ≤ 100,
    /// `cursor` from the last page. Every request is audited (which volunteers it returned).
    pub async fn find_volunteers(
        &self,
        op: &Operator,
        query: Option<&str>,
    ) -> Result<Value, ApiError> {
        let mut iin = None;
        let mut name = None;
        let mut limit = DEFAULT_LIMIT;
        let mut cursor = None;
        for (k, v) in query_pairs(query)? {
            match k.as_str() {
                "iin" => iin = Some(v),
                "name" => name = Some(v),
                "limit" => limit = parse_limit(&v)?,
                "cursor" => cursor = Some(v),
                _ => return Err(ApiError::invalid_field(&k, "is not a known parameter")),
            }
        }
        if let Some(c) = &cursor {
            if c.is_empty() || c.len() > 64 {
                return Err(ApiError::invalid_field(
                    "cursor",
                    "is not a cursor from a page",
                ));
            }
        }
        let by_iin = iin.is_some();
        let rows = match (iin, name) {
            (Some(_), Some(_)) => {
                return Err(ApiError::invalid_field(
                    "name",
                    "give either iin or name, not both",
                ))
            }
            (Some(iin), None) => {
                let iin = Iin::parse(&iin).map_err(|r| {
                    ApiError::bad_request(ProblemCode::INVALID_FIELD, format!("iin: {r}"))
                        .at("iin")
                        .because(r.to_string())
                })?;
                let found = self
                    .store
                    .volunteer_by_iin_index(&self.iin_index(iin.as_str()))
                    .await?;
                self.store
                    .append_audit(&AuditEntry {
                        at: self.clock.now().0,
                        actor: op.id.clone(),
                        action: "volunteer.lookup".into(),
                        office_id: None,
                        subject: found.as_ref().map(|v| v.id.clone()),
                        request_id: None,
                        detail: Some(
                            if found.is_some() {
                                "by IIN: found"
                            } else {
                                "by IIN: not found"
                            }
                            .into(),
                        ),
                    })
                    .await?;
                found
                    .into_iter()
                    .filter(|v| cursor.as_deref().is_none_or(|c| v.id.as_str() > c))
                    .collect()
            }
            (None, name) => {
                let needle = volunteers::normalise(name.as_deref().unwrap_or(""));
                if needle.chars().count() > 200 {
                    return Err(ApiError::invalid_field(
                        "name",
                        "is longer than 200 characters",
                    ));
                }
                let rows = self
                    .store
                    .find_volunteers(&needle, op.role.scope(), cursor.as_deref(), limit)
                    .await?;
                let ids: Vec<&str> = rows.iter().map(|v| v.id.as_str()).collect();
                self.audit_read(
                    op,
                    "volunteer.list",
                    None,
                    format!("{} volunteers: {}", ids.len(), ids.join(" ")),
                )
                .await?;
                rows
            }
        };
        let next = (i64::try_from(rows.len()).unwrap_or(0) >= limit)
            .then(|| rows.last().map(|v| v.id.clone()))
            .flatten();
        let list = rows
            .iter()
            .map(|v| self.volunteer_json(v, by_iin))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(json!({"volunteers": list, "next_cursor": next}))
    }

    /// Correct a registration (admins): `name` replaces the spellings, `email`, `phone` and
    /// `region` replace theirs (`null` removes one); the IIN and birth date are the person's
    /// identity and are not changed here. Idempotent: a correction that changes nothing
    /// writes and audits nothing. The answer is the volunteer as admins read it.
    pub async fn correct_volunteer(
        &self,
        op: &Operator,
        id: &str,
        body: &[u8],
    ) -> Result<Value, ApiError> {
        if op.role != Role::Admin {
            return Err(ApiError::forbidden("only admins correct the register"));
        }
        let value = vpass_credential::json::parse(body, "body")
            .map_err(|e| ApiError::from_credential(&e, ""))?;
        let Value::Object(obj) = value else {
            return Err(ApiError::bad_request(
                ProblemCode::INVALID_FIELD,
                "the body must be a JSON object: {\"name\", \"email\", \"phone\", \"region\"}",
            ));
        };
        const MEMBERS: [&str; 4] = ["name", "email", "phone", "region"];
        if let Some(k) = obj.keys().find(|k| !MEMBERS.contains(&k.as_str())) {
            return Err(ApiError::invalid_field(
                k,
                "is not a member a correction may change (name, email, phone, region)",
            ));
        }
        if obj.is_empty() {
            return Err(ApiError::invalid_field(
                "name",
                "give at least one of name, email, phone, region",
            ));
        }
        let old = self
            .store
            .volunteer(id)
            .await?
            .ok_or_else(|| ApiError::not_found("volunteer"))?;
        let names = match obj.get("name") {
            Some(n) => parse_names(Some(n))?,
            None => names_of(&old),
        };
        let iin = self.open_iin(&old)?;
        let mut person = Map::new();
        person.insert("iin".into(), iin.into());
        person.insert("birthDate".into(), old.birth_date.clone().into());
        for (k, current) in [
            ("email", &old.email),
            ("phone", &old.phone),
            ("region", &old.region),
        ] {
            match obj.get(k) {
                Some(Value::Null) => {}
                Some(v) => {
                    person.insert(k.into(), v.clone());
                }
                None => {
                    if let Some(c) = current {
                        person.insert(k.into(), c.clone().into());
                    }
                }
            }
        }
        let now = self.clock.now();
        check_person(&names, &person, now)?;
        let text = |k: &str| person.get(k).and_then(Value::as_str).map(str::to_owned);
        let new = VolunteerRow {
            name_kk: names.kk.clone(),
            name_ru: names.ru.clone(),
            name_en: names.en.clone(),
            name_search: names.search_text(),
            email: text("email"),
            phone: text("phone"),
            region: text("region"),
            ..old.clone()
        };
        let changed: Vec<&str> = [
            ("name", names_of(&old) != names),
            ("email", old.email != new.email),
            ("phone", old.phone != new.phone),
            ("region", old.region != new.region),
        ]
        .into_iter()
        .filter_map(|(k, c)| c.then_some(k))
        .collect();
        if !changed.is_empty() {
            let entry = AuditEntry {
                at: now.0,
                actor: op.id.clone(),
                action: "volunteer.correct".into(),
                office_id: None,
                subject: Some(old.id.clone()),
                request_id: None,
                // Which members changed, never their values (personal data).
                detail: Some(format!("changed: {}", changed.join(", "))),
            };
            match self.store.update_volunteer(&new, &entry).await {
                Err(crate::store::StoreError::NotFound) => {
                    return Err(ApiError::not_found("volunteer"))
                }
                r => r?,
            }
        }
        self.volunteer_json(&new, true)
    }

    // ---- linking issuance to the register ------------------------------------------------

    /// The volunteer an issuance request belongs to: the one it names (`volunteer`), else the
    /// registered one of its `credentialSubject.iin`, else one to register from the subject.
    /// Fills `name`, `iin` and `birthDate` from the register when absent; a subject that
    /// contradicts the register is refused (422 `VOLUNTEER_MISMATCH`).
    pub(super) async fn resolve_link(
        &self,
        op: &Operator,
        draft: &mut Draft,
        known: Option<&Known>,
    ) -> Result<Option<VolunteerLink>, ApiError> {
        let subject = match draft.map.get_mut("credentialSubject") {
            Some(Value::Object(subject)) => Some(subject),
            _ => None,
        };
        let key = volunteers::link_key(draft.volunteer.as_deref(), subject.as_deref())
            .map_err(link_error)?;
        // `link_key` links nobody to a request without a subject.
        let Some(subject) = subject else {
            return Ok(None);
        };
        let found = match &key {
            LinkKey::None => None,
            LinkKey::Id(id) => self.store.volunteer(id).await?,
            LinkKey::Iin(iin) => {
                let index = self.iin_index(iin.as_str());
                match known {
                    Some(known) => known.get(&index).cloned(),
                    None => self.store.volunteer_by_iin_index(&index).await?,
                }
            }
        };
        let found = match found {
            Some(v) => Some(self.registered(&v).await?),
            None => None,
        };
        Ok(
            match volunteers::link(subject, key, found).map_err(link_error)? {
                LinkDecision::NotLinked => None,
                LinkDecision::Existing(id) => Some(VolunteerLink::Existing(id)),
                LinkDecision::Register { names, iin } => {
                    let row = self.new_volunteer(op, &names, &iin, subject, self.clock.now());
                    Some(VolunteerLink::Register(Box::new(row)))
                }
            },
        )
    }

    /// A register row as linking compares it: the IIN opened, and whom to ask if the
    /// register is wrong (no personal data: only who registered it).
    async fn registered(&self, v: &VolunteerRow) -> Result<Registered, ApiError> {
        let iin = self.open_iin(v)?;
        let registrar = match self.store.operator_office(&v.created_by).await? {
            Some(office) => format!("office {office}"),
            None => format!("the {NATIONAL} office"),
        };
        Ok(Registered {
            id: v.id.clone(),
            names: names_of(v),
            iin,
            birth_date: v.birth_date.clone(),
            registrar,
        })
    }

    // ---- listing credentials -------------------------------------------------------------

    /// Credentials' metadata, newest first, filtered and paginated (officers: their office's).
    pub async fn list_credentials(
        &self,
        op: &Operator,
        query: Option<&str>,
    ) -> Result<Value, ApiError> {
        let pairs = query_pairs(query)?;
        let mut office = None;
        let mut kind = None;
        let mut volunteer = None;
        let mut revoked = None;
        let mut after = None;
        let mut before = None;
        let mut limit = DEFAULT_LIMIT;
        let mut cursor = None;
        let time = |name: &str, v: &str| {
            UnixTime::parse_rfc3339(v).map(|t| t.0).ok_or_else(|| {
                ApiError::invalid_field(name, "must be an RFC 3339 time (2026-06-01T00:00:00Z)")
            })
        };
        for (k, v) in &pairs {
            match k.as_str() {
                "office" if self.offices.contains_key(v) => office = Some(v.as_str()),
                "office" => return Err(ApiError::invalid_field("office", "is not an office id")),
                "type" => {
                    kind = Some(CredentialKind::from_type_name(v).ok_or_else(|| {
                        ApiError::invalid_field("type", "is not a vpass credential type")
                    })?)
                }
                "volunteer" if !v.is_empty() && v.len() <= 64 => volunteer = Some(v.as_str()),
                "volunteer" => {
                    return Err(ApiError::invalid_field(
                        "volunteer",
                        "is not a volunteer id",
                    ))
                }
                "status" => {
                    revoked = Some(match v.as_str() {
                        "active" => false,
                        "revoked" => true,
                        _ => {
                            return Err(ApiError::invalid_field(
                                "status",
                                "must be active or revoked",
                            ))
                        }
                    })
                }
                "issued_after" => after = Some(time("issued_after", v)?),
                "issued_before" => before = Some(time("issued_before", v)?),
                "limit" => limit = parse_limit(v)?,
                "cursor" => cursor = Some(parse_cursor(v)?),
                _ => return Err(ApiError::invalid_field(k, "is not a known parameter")),
            }
        }
        if let Role::Officer(own) = &op.role {
            match office {
                Some(o) if o != own => {
                    return Err(ApiError::forbidden(
                        "officers list only their own office's credentials",
                    )
                    .at("office"))
                }
                _ => office = Some(own.as_str()),
            }
        }
        let filter = CredentialFilter {
            office,
            kind,
            volunteer,
            revoked,
            issued_after: after,
            issued_before: before,
            after: cursor.as_ref().map(|(t, id)| (*t, id.as_str())),
            limit,
        };
        let rows = self.store.list_credentials(&filter).await?;
        let next = (i64::try_from(rows.len()).unwrap_or(0) >= limit)
            .then(|| rows.last())
            .flatten()
            .map(|(r, _)| URL_SAFE_NO_PAD.encode(format!("{}:{}", r.issued_at.0, r.id)));
        let list: Vec<Value> = rows
            .iter()
            .map(|(r, v)| listed_json(r, v.as_deref()))
            .collect();
        Ok(json!({"credentials": list, "next_cursor": next}))
    }

    // ---- the passport summary ------------------------------------------------------------

    /// Issue a `VolunteerPassportCredential` for volunteer `id` from the stored records, as of
    /// now, signed by the operator's office (officers: their office's records; admins: all).
    pub async fn issue_passport(
        &self,
        op: &Operator,
        idem_key: &str,
        id: &str,
        body: &[u8],
    ) -> Result<(u16, Vec<u8>), ApiError> {
        let (office_id, office) = self.issuing_context(op).await?;
        let mut options = if body.iter().all(u8::is_ascii_whitespace) {
            Map::new()
        } else {
            match vpass_credential::json::parse(body, "body")
                .map_err(|e| ApiError::from_credential(&e, ""))?
            {
                Value::Object(m) => m,
                _ => {
                    return Err(ApiError::bad_request(
                        ProblemCode::INVALID_FIELD,
                        "the body must be empty or {\"holder\": …, \"format\": …}",
                    ))
                }
            }
        };
        if let Some(k) = options.keys().find(|k| *k != "holder" && *k != "format") {
            return Err(ApiError::invalid_field(k, "is not a known member"));
        }
        // The passport holds the IIN: only for volunteers the operator may read.
        let v = self.visible_volunteer(op, id).await?;
        let now = self.clock.now();
        let as_of = utc_day(now).ok_or_else(|| ApiError::internal(&"clock out of range"))?;
        let scope = match &op.role {
            Role::Admin if office_id == NATIONAL => None,
            _ => Some(office_id),
        };
        let facts = self
            .store
            .volunteer_facts(&v.id, scope)
            .await?
            .iter()
            .filter_map(|f| passport_fact(f).transpose())
            .collect::<Result<Vec<_>, _>>()?;
        let summary = volunteers::passport_summary(as_of, &facts).ok_or_else(|| {
            unprocessable(
                ProblemCode::PassportTooLarge,
                "volunteer",
                "the records need more than 64 entries in a passport array",
            )
        })?;
        let mut subject = Map::new();
        subject.insert("name".into(), names_of(&v).display().into());
        subject.insert("iin".into(), self.open_iin(&v)?.into());
        subject.insert("birthDate".into(), v.birth_date.clone().into());
        for (k, val) in [
            ("email", &v.email),
            ("phone", &v.phone),
            ("region", &v.region),
        ] {
            if let Some(val) = val {
                subject.insert(k.into(), val.clone().into());
            }
        }
        subject.extend(summary);
        options.insert("@context".into(), json!([VCDM2_CONTEXT]));
        options.insert(
            "type".into(),
            json!(["VerifiableCredential", "VolunteerPassportCredential"]),
        );
        options.insert("validFrom".into(), now.to_rfc3339().into());
        options.insert(
            "validUntil".into(),
            UnixTime(now.0.saturating_add(PASSPORT_VALIDITY))
                .to_rfc3339()
                .into(),
        );
        options.insert("credentialSubject".into(), Value::Object(subject));
        let draft = draft_issue_value(&office, Value::Object(options))?;
        let req = check_issue(
            &office,
            draft,
            Some(VolunteerLink::Existing(v.id.clone())),
            &self.caps,
            Origin::Register,
        )?;
        let request_hash =
            self.request_hash(&format!("POST /api/v1/volunteers/{id}/passport"), body);
        let idem = Idem {
            operator_id: &op.id,
            key: idem_key,
            request_hash: &request_hash,
        };
        let detail = format!(
            "{} as {} for volunteer {}",
            req.kind.type_name(),
            req.format,
            v.id
        );
        self.issue_checked(op, office_id, &idem, &req, now, detail)
            .await
    }
}

/// An IIN shown masked: the first four and last two digits (`9501******21`).
pub fn mask_iin(iin: &str) -> String {
    match (iin.get(..4), iin.get(10..)) {
        (Some(head), Some(tail)) if iin.len() == 12 => format!("{head}******{tail}"),
        _ => "************".into(),
    }
}

fn parse_cursor(v: &str) -> Result<(i64, String), ApiError> {
    let bad = || ApiError::invalid_field("cursor", "is not a cursor from a page");
    let decoded = URL_SAFE_NO_PAD
        .decode(v)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(bad)?;
    let (t, id) = decoded.split_once(':').ok_or_else(bad)?;
    if id.len() > MAX_REQUEST_ID || text::check_chars(id, Lines::One).is_err() {
        return Err(bad());
    }
    Ok((t.parse().map_err(|_| bad())?, id.to_owned()))
}

fn listed_json(r: &CredentialRow, volunteer: Option<&str>) -> Value {
    json!({
        "id": r.id,
        "type": r.kind.type_name(),
        "format": r.format.as_str(),
        "office": r.office_id,
        "volunteer": volunteer,
        "status_index": r.status_index,
        "issued_at": r.issued_at.to_rfc3339(),
        "revoked": r.revoked_at.map(|at| json!({
            "at": at.to_rfc3339(),
            "reason": r.revoked_reason,
        })),
    })
}

/// What a stored credential adds to a passport: `None` for a passport (it adds nothing); a
/// fact row without the facts its kind stores is [`StoreError::Corrupt`], not left out.
fn passport_fact(f: &crate::store::FactRow) -> Result<Option<PassportFact>, StoreError> {
    let corrupt = |column| move || StoreError::Corrupt(column);
    let entry = || {
        let text = f
            .entry
            .as_deref()
            .ok_or_else(corrupt("credential_facts.entry"))?;
        serde_json::from_str(text).map_err(|_| StoreError::Corrupt("credential_facts.entry"))
    };
    Ok(match f.kind {
        CredentialKind::Hours => Some(PassportFact::Hours {
            hours: f.hours.ok_or_else(corrupt("credential_facts.hours"))?,
            category: f
                .category
                .as_deref()
                .map(|c| Category::parse(c).ok_or_else(corrupt("credential_facts.category")))
                .transpose()?,
            end: f
                .period_end
                .as_deref()
                .and_then(IsoDate::parse)
                .ok_or_else(corrupt("credential_facts.period_end"))?,
        }),
        CredentialKind::Skill => Some(PassportFact::Skill(entry()?)),
        CredentialKind::Award => Some(PassportFact::Award(entry()?)),
        CredentialKind::Passport => None,
    })
}

/// `name`: an object with at least one of `kk`, `ru`, `en`, each 1 to 200 characters.
fn parse_names(v: Option<&Value>) -> Result<Names, ApiError> {
    let Some(Value::Object(m)) = v else {
        return Err(ApiError::invalid_field(
            "name",
            "is required: {\"kk\": …, \"ru\": …, \"en\": …} with at least one spelling",
        ));
    };
    if let Some(k) = m.keys().find(|k| !["kk", "ru", "en"].contains(&k.as_str())) {
        return Err(ApiError::invalid_field(
            &format!("name.{k}"),
            "is not a known spelling (kk, ru, en)",
        ));
    }
    let mut names = Names::default();
    for (k, slot) in [
        ("kk", &mut names.kk),
        ("ru", &mut names.ru),
        ("en", &mut names.en),
    ] {
        match m.get(k) {
            None => {}
            Some(Value::String(s)) => {
                // The credential model's rule for names (the register's names are signed).
                text::check_text(s, vpass_credential::model::MAX_TEXT, Lines::One)
                    .map_err(|why| ApiError::invalid_field(&format!("name.{k}"), why))?;
                *slot = Some(s.trim().to_owned());
            }
            Some(_) => {
                return Err(ApiError::invalid_field(
                    &format!("name.{k}"),
                    "must be 1 to 200 characters of text",
                ))
            }
        }
    }
    if names.spellings().next().is_none() {
        return Err(ApiError::invalid_field(
            "name",
            "needs at least one spelling (kk, ru or en)",
        ));
    }
    Ok(names)
}

/// Check the person members of a registration (`iin`, `birthDate`, `email`, `phone`,
/// `region`) with the credential model's rules; the IIN back.
fn check_person(
    names: &Names,
    person: &Map<String, Value>,
    now: UnixTime,
) -> Result<Iin, ApiError> {
    let day = utc_day(now).ok_or_else(|| ApiError::internal(&"clock out of range"))?;
    let mut subject = person.clone();
    subject.insert("name".into(), names.display().into());
    subject.insert("hours".into(), 1.into());
    subject.insert("activity".into(), "registration".into());
    subject.insert("organization".into(), "registration".into());
    subject.insert("periodStart".into(), day.to_string().into());
    subject.insert("periodEnd".into(), day.to_string().into());
    let probe = json!({
        "@context": [VCDM2_CONTEXT],
        "type": ["VerifiableCredential", "VolunteerHoursCredential"],
        "issuer": "did:web:register.invalid",
        "validFrom": now.to_rfc3339(),
        "validUntil": UnixTime(now.0.saturating_add(3600)).to_rfc3339(),
        "credentialSubject": subject,
    });
    let checked = Credential::from_json(&probe).map_err(|e| {
        let mut err = ApiError::from_credential(&e, "");
        if let Some(f) = &err.field {
            err.field = Some(f.trim_start_matches("credentialSubject.").to_owned());
        }
        err.detail = err.detail.replace("credentialSubject.", "");
        err
    })?;
    checked
        .subject()
        .person()
        .iin()
        .cloned()
        .ok_or_else(|| ApiError::invalid_field("iin", "is required"))
}
