//! Seed data: the national office and the 20 regional front-offices of Kazakhstan, one per
//! city of republican significance and oblast, with their ISO 3166-2:KZ codes (the numeric
//! codes in force since November 2022) and names in Kazakh, Russian and English.
//!
//! Office ids (used in URLs: `/status/kz-75/1`, `/offices/kz-75/did.json`) are the region
//! codes in lower case. A regional office's DID is the national one plus `:offices:<id>`
//! (`did:web:localhost%3A8080:offices:kz-75`), which did:web resolves to
//! `https://<host>/offices/kz-75/did.json`, the route that serves it.

/// A regional office to create on the first start: (ISO 3166-2:KZ code, kk, ru, en) region
/// names.
pub const REGIONS: [(&str, &str, &str, &str); 20] = [
    ("KZ-71", "Астана қаласы", "город Астана", "Astana"),
    ("KZ-75", "Алматы қаласы", "город Алматы", "Almaty"),
    ("KZ-79", "Шымкент қаласы", "город Шымкент", "Shymkent"),
    ("KZ-10", "Абай облысы", "область Абай", "Abai Region"),
    (
        "KZ-11",
        "Ақмола облысы",
        "Акмолинская область",
        "Akmola Region",
    ),
    (
        "KZ-15",
        "Ақтөбе облысы",
        "Актюбинская область",
        "Aktobe Region",
    ),
    (
        "KZ-19",
        "Алматы облысы",
        "Алматинская область",
        "Almaty Region",
    ),
    (
        "KZ-23",
        "Атырау облысы",
        "Атырауская область",
        "Atyrau Region",
    ),
    (
        "KZ-27",
        "Батыс Қазақстан облысы",
        "Западно-Казахстанская область",
        "West Kazakhstan Region",
    ),
    (
        "KZ-31",
        "Жамбыл облысы",
        "Жамбылская область",
        "Jambyl Region",
    ),
    ("KZ-33", "Жетісу облысы", "область Жетісу", "Jetisu Region"),
    (
        "KZ-35",
        "Қарағанды облысы",
        "Карагандинская область",
        "Karaganda Region",
    ),
    (
        "KZ-39",
        "Қостанай облысы",
        "Костанайская область",
        "Kostanay Region",
    ),
    (
        "KZ-43",
        "Қызылорда облысы",
        "Кызылординская область",
        "Kyzylorda Region",
    ),
    (
        "KZ-47",
        "Маңғыстау облысы",
        "Мангистауская область",
        "Mangystau Region",
    ),
    (
        "KZ-55",
        "Павлодар облысы",
        "Павлодарская область",
        "Pavlodar Region",
    ),
    (
        "KZ-59",
        "Солтүстік Қазақстан облысы",
        "Северо-Казахстанская область",
        "North Kazakhstan Region",
    ),
    (
        "KZ-61",
        "Түркістан облысы",
        "Туркестанская область",
        "Turkistan Region",
    ),
    ("KZ-62", "Ұлытау облысы", "область Ұлытау", "Ulytau Region"),
    (
        "KZ-63",
        "Шығыс Қазақстан облысы",
        "Восточно-Казахстанская область",
        "East Kazakhstan Region",
    ),
];

/// The office id of a region code (`KZ-75` → `kz-75`).
pub fn office_id(region: &str) -> String {
    region.to_ascii_lowercase()
}

/// Display names of a regional office: (kk, ru, en).
pub fn office_names(kk: &str, ru: &str, en: &str) -> (String, String, String) {
    (
        format!("{kk} волонтерлер фронт-офисі"),
        format!("Волонтёрский фронт-офис ({ru})"),
        format!("Volunteer front-office, {en}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_region_is_a_known_current_code_once() {
        let mut seen = std::collections::HashSet::new();
        for (code, kk, ru, en) in REGIONS {
            assert!(seen.insert(code));
            let region = vpass_credential::model::Region::parse(code).unwrap();
            assert_eq!(region.current_code(), code);
            assert!(!kk.is_empty() && !ru.is_empty() && !en.is_empty());
        }
    }
}
