//! Verdict texts in Kazakh, Russian and English.
//!
//! The people who read these texts are HR and admissions officers, not engineers: every
//! message says what a result means *for them* (and, where there is one, what to do next),
//! never how the check failed internally. The stable [`Code`] stays available for logs and
//! support; this module only turns it into words.
//!
//! - [`Lang`]: the three interface languages, parsed from tags such as `kk-KZ` or locales
//!   such as `ru_RU.UTF-8`;
//! - [`code_message`]: one short sentence per [`Code`];
//! - [`category_title`]: a short heading per [`Category`];
//! - [`text`] and [`Text`]: the labels of the human-readable verdict, including the names of
//!   activity categories ([`category_text`]) and skill levels ([`level_text`]);
//! - [`hours`]: an amount of volunteer hours with the right plural form.
//!
//! # Terminology
//!
//! The same words are used everywhere, so that an officer who reads one message recognises
//! the same thing in the next:
//!
//! | English              | Russian                         | Kazakh                             |
//! |----------------------|---------------------------------|------------------------------------|
//! | credential           | документ                        | құжат                              |
//! | issuing office       | выдавший центр                  | құжатты берген орталық             |
//! | trusted offices      | доверенные центры               | сенімді орталықтар                 |
//! | revoked              | отозван                         | кері қайтарылған                   |
//! | list of revoked …    | список отозванных документов    | кері қайтарылған құжаттар тізімі   |
//! | signature            | подпись                         | қолтаңба                           |
//! | volunteer            | волонтёр                        | ерікті                             |
//! | presentation         | QR-код                          | QR-код                             |
//! | holder               | владелец                        | иесі                               |
//!
//! English uses British spelling ("organisation", "authorised"), as in Kazakhstan's
//! official English texts. Russian always writes "ё". Kazakh is in the Cyrillic script.
//!
//! # Plural forms
//!
//! [`hours`] follows the CLDR plural rules: for Russian, an integer `i` takes the *one* form
//! ("час") when `i % 10 == 1 && i % 100 != 11`, the *few* form ("часа") when `i % 10` is 2–4
//! and `i % 100` is not 12–14, and the *many* form ("часов") otherwise; a number with a visible
//! fraction takes the *other* form, which for this word is the genitive singular ("1,5 часа").
//! English has *one* ("1 hour") only for an integer 1. Kazakh nouns do not inflect after a
//! numeral ("48 сағат"). No plural or localisation crate is used: the rule is ten lines for
//! one word, while a Fluent or ICU dependency would add a runtime, resource files and a
//! sizeable dependency tree to an offline verifier for nothing else.

use std::fmt;

use vpass_credential::model::{Category as ActivityCategory, SkillLevel};
use vpass_credential::{Category, Code};

/// An interface language of the verifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// Kazakh (`kk`), Cyrillic script.
    Kk,
    /// Russian (`ru`).
    Ru,
    /// English (`en`), the default.
    #[default]
    En,
}

impl Lang {
    /// Every language, in the order the verifier offers them.
    pub const ALL: &'static [Lang] = &[Lang::Kk, Lang::Ru, Lang::En];

    /// Parses a language tag or a POSIX locale name, case-insensitively.
    ///
    /// Only the primary language subtag counts: `kk`, `kk-KZ`, `kk-Cyrl-KZ`, `kk_KZ.UTF-8`
    /// are Kazakh; `kz` (the country code, often used for the language) and `kaz` are accepted
    /// too. Likewise `ru`/`rus`/`ru-RU`/`ru_KZ` and `en`/`eng`/`en-US`/`en_GB.UTF-8`. Anything
    /// else (`C`, `POSIX`, `de-DE`, the empty string) is `None`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Lang> {
        let primary = s
            .trim()
            .split(['-', '_', '.', '@'])
            .next()
            .unwrap_or_default();
        let primary = primary.to_ascii_lowercase();
        match primary.as_str() {
            "kk" | "kz" | "kaz" => Some(Lang::Kk),
            "ru" | "rus" => Some(Lang::Ru),
            "en" | "eng" => Some(Lang::En),
            _ => None,
        }
    }

    /// The BCP 47 tag: `kk`, `ru` or `en`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Lang::Kk => "kk",
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }

    /// The language from the environment, or [`Lang::En`].
    ///
    /// `VPASS_LANG` wins when it names one of the three languages (an unrecognised value is
    /// ignored). Otherwise the POSIX locale decides: the first non-empty one of `LC_ALL`,
    /// `LC_MESSAGES` and `LANG` (`ru_RU.UTF-8` → Russian, `kk_KZ.UTF-8` → Kazakh); a locale
    /// in another language, or `C`, gives English. This is the only function of the module
    /// that reads the environment.
    #[must_use]
    pub fn from_env() -> Lang {
        Lang::from_vars(|name| std::env::var(name).ok())
    }

    /// [`Lang::from_env`] over any source of variables, so that it can be tested.
    fn from_vars(get: impl Fn(&str) -> Option<String>) -> Lang {
        if let Some(lang) = get("VPASS_LANG").as_deref().and_then(Lang::parse) {
            return lang;
        }
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .into_iter()
            .filter_map(&get)
            .find(|value| !value.trim().is_empty())
            .and_then(|value| Lang::parse(&value))
            .unwrap_or_default()
    }

    /// Picks the text for this language from the three translations.
    const fn pick(self, en: &'static str, ru: &'static str, kk: &'static str) -> &'static str {
        match self {
            Lang::Kk => kk,
            Lang::Ru => ru,
            Lang::En => en,
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The message of a code no translation exists for (en, ru, kk). Reaching it is a bug: the
/// tests check that no code in [`Code::ALL`] does.
const FALLBACK_MESSAGE: (&str, &str, &str) = (
    "The credential could not be accepted.",
    "Документ не может быть принят.",
    "Құжатты қабылдау мүмкін болмады.",
);

/// The heading of a category no translation exists for (en, ru, kk); a bug like the above.
const FALLBACK_TITLE: (&str, &str, &str) = ("Not accepted", "Не принят", "Қабылданбады");

/// One short sentence explaining `code` to an HR or admissions officer.
#[must_use]
pub fn code_message(code: Code, lang: Lang) -> &'static str {
    // (English, Russian, Kazakh)
    let (en, ru, kk) = match code {
        // A. transport
        Code::PayloadTooLarge => (
            "The code holds more data than a vpass credential can; it is not a vpass credential.",
            "Код содержит больше данных, чем может вместить документ vpass; это не документ vpass.",
            "Кодтағы деректердің көлемі vpass құжаты үшін тым үлкен; бұл vpass құжаты емес.",
        ),
        Code::DecompressedTooLarge => (
            "Unpacked, the code would hold far more data than any vpass credential; it was rejected as unsafe.",
            "После распаковки код содержал бы намного больше данных, чем любой документ vpass; он отклонён как небезопасный.",
            "Ашылған кезде кодтағы деректер кез келген vpass құжатынан әлдеқайда көп болар еді; код қауіпсіз емес деп қабылданбады.",
        ),
        Code::MalformedEnvelope => (
            "The QR code is damaged or incomplete; ask the volunteer to show it again.",
            "QR-код повреждён или неполон; попросите волонтёра показать его ещё раз.",
            "QR-код бүлінген немесе толық емес; еріктіден оны қайта көрсетуін сұраңыз.",
        ),
        Code::Base45Invalid => (
            "The QR code contains characters a vpass code never uses; it was misread or is not a vpass code.",
            "QR-код содержит символы, которых не бывает в кодах vpass; он считан с ошибкой или это не код vpass.",
            "QR-кодта vpass кодтарында болмайтын таңбалар бар; ол қате оқылған немесе vpass коды емес.",
        ),
        Code::UnsupportedVersion => (
            "This is not a vpass code, or it was made by a newer version of vpass; update the verifier app.",
            "Это не код vpass, или он создан более новой версией vpass; обновите приложение для проверки.",
            "Бұл vpass коды емес немесе ол vpass бағдарламасының жаңарақ нұсқасында жасалған; тексеру қолданбасын жаңартыңыз.",
        ),
        // B. JOSE
        Code::AlgNotAllowed => (
            "The credential uses a signature method that vpass does not accept.",
            "В документе используется способ подписи, который vpass не принимает.",
            "Құжатта vpass қабылдамайтын қолтаңба әдісі қолданылған.",
        ),
        Code::AlgKeyMismatch => (
            "The signature method does not fit the issuing office's key, so the signature cannot be trusted.",
            "Способ подписи не соответствует ключу выдавшего центра, поэтому подписи нельзя доверять.",
            "Қолтаңба әдісі құжатты берген орталықтың кілтіне сәйкес келмейді, сондықтан қолтаңбаға сенуге болмайды.",
        ),
        Code::HeaderNotAllowed => (
            "The credential contains a technical instruction that vpass forbids for safety; it cannot be accepted.",
            "Документ содержит техническое указание, запрещённое в vpass из соображений безопасности; принять его нельзя.",
            "Құжатта vpass қауіпсіздік үшін тыйым салған техникалық нұсқау бар; оны қабылдауға болмайды.",
        ),
        Code::UnknownKid => (
            "The credential names a signing key this app does not know; update the list of trusted offices or contact the issuing office.",
            "Документ ссылается на ключ подписи, неизвестный этому приложению; обновите список доверенных центров или обратитесь в выдавший центр.",
            "Құжатта осы қолданбаға белгісіз қолтаңба кілті көрсетілген; сенімді орталықтар тізімін жаңартыңыз немесе құжатты берген орталыққа хабарласыңыз.",
        ),
        Code::CritUnsupported => (
            "The credential requires a feature this app does not support; update the verifier app.",
            "Документ требует функции, которую это приложение не поддерживает; обновите приложение для проверки.",
            "Құжат осы қолданба қолдамайтын мүмкіндікті талап етеді; тексеру қолданбасын жаңартыңыз.",
        ),
        Code::WrongTyp => (
            "The code holds a different kind of signed data, not a volunteer credential.",
            "Код содержит подписанные данные другого вида, а не документ волонтёра.",
            "Кодта еріктінің құжаты емес, басқа түрдегі қол қойылған деректер бар.",
        ),
        Code::DuplicateMember => (
            "The credential's data repeats a field, which can be used to mislead; it cannot be accepted.",
            "В данных документа повторяется поле, что может использоваться для обмана; принять его нельзя.",
            "Құжат деректерінде бір өріс қайталанады, бұл алдау үшін қолданылуы мүмкін; оны қабылдауға болмайды.",
        ),
        Code::Base64Invalid => (
            "Part of the credential is not correctly encoded; it was damaged or altered.",
            "Часть документа закодирована неправильно; он повреждён или изменён.",
            "Құжаттың бір бөлігі дұрыс кодталмаған; ол бүлінген немесе өзгертілген.",
        ),
        Code::JsonTooDeep => (
            "The credential's data is nested far deeper than in any real credential; it was rejected as unsafe.",
            "Данные документа вложены намного глубже, чем в любом настоящем документе; он отклонён как небезопасный.",
            "Құжат деректерінің құрылымы кез келген нақты құжаттағыдан әлдеқайда терең; ол қауіпсіз емес деп қабылданбады.",
        ),
        Code::JsonInvalid => (
            "The credential's data cannot be read; it is damaged or not a vpass credential.",
            "Данные документа невозможно прочитать; он повреждён или не является документом vpass.",
            "Құжат деректерін оқу мүмкін емес; ол бүлінген немесе vpass құжаты емес.",
        ),
        Code::InvalidClaim => (
            "An entry in the credential has a wrong or impossible value.",
            "Одна из записей документа имеет неверное или невозможное значение.",
            "Құжаттағы жазбалардың бірінің мәні қате немесе мүмкін емес.",
        ),
        Code::MalformedJws => (
            "The signed part of the credential is incomplete or broken.",
            "Подписанная часть документа неполна или повреждена.",
            "Құжаттың қол қойылған бөлігі толық емес немесе бүлінген.",
        ),
        Code::SignatureInvalid => (
            "The signature does not match: the credential was altered or forged.",
            "Подпись не совпадает: документ был изменён или подделан.",
            "Қолтаңба сәйкес келмейді: құжат өзгертілген немесе қолдан жасалған.",
        ),
        Code::KeyInvalid => (
            "The key for checking the signature is defective, so the signature cannot be confirmed.",
            "Ключ для проверки подписи неисправен, поэтому подпись нельзя подтвердить.",
            "Қолтаңбаны тексеретін кілт ақаулы, сондықтан қолтаңбаны растау мүмкін емес.",
        ),
        Code::UntrustedKey => (
            "The credential was signed with a key that is not on the list of trusted offices.",
            "Документ подписан ключом, которого нет в списке доверенных центров.",
            "Құжатқа сенімді орталықтар тізімінде жоқ кілтпен қол қойылған.",
        ),
        // D. selective disclosure: the details the volunteer chose to show
        Code::SdDuplicateDigest => (
            "Some of the details shown appear twice, which never happens in a genuine presentation.",
            "Некоторые из показанных сведений повторяются, чего не бывает в подлинном QR-коде.",
            "Көрсетілген мәліметтердің кейбірі қайталанады, түпнұсқа QR-кодта бұлай болмайды.",
        ),
        Code::SdUnreferencedDisclosure => (
            "Details were shown that do not belong to this credential; someone else may have added them.",
            "Показаны сведения, которые не относятся к этому документу; возможно, их добавил посторонний.",
            "Осы құжатқа қатысы жоқ мәліметтер көрсетілген; оларды бөгде біреу қосқан болуы мүмкін.",
        ),
        Code::SdReservedName => (
            "A detail shown uses a reserved name that a genuine credential never contains.",
            "В показанных сведениях использовано зарезервированное имя, которого не бывает в подлинном документе.",
            "Көрсетілген мәліметтерде түпнұсқа құжатта ешқашан болмайтын резервтелген атау қолданылған.",
        ),
        Code::SdClaimExists => (
            "A detail shown tries to replace information already written in the credential.",
            "Показанные сведения пытаются заменить данные, уже записанные в документе.",
            "Көрсетілген мәліметтер құжатта бұрыннан жазылған ақпаратты ауыстыруға тырысады.",
        ),
        Code::SdMalformedDisclosure => (
            "A detail shown is damaged or in the wrong place.",
            "Часть показанных сведений повреждена или находится не на своём месте.",
            "Көрсетілген мәліметтердің бір бөлігі бүлінген немесе өз орнында емес.",
        ),
        Code::SdForbiddenSdClaim => (
            "Information that must always be fixed in the credential (such as its dates or issuing office) was supplied separately; this is not allowed.",
            "Сведения, которые всегда должны быть закреплены в документе (например, сроки или выдавший центр), переданы отдельно; это недопустимо.",
            "Құжатта әрдайым бекітілген болуға тиіс мәліметтер (мысалы, мерзімдері немесе құжатты берген орталық) бөлек берілген; бұған жол берілмейді.",
        ),
        Code::SdAlgNotAllowed => (
            "The credential protects its hidden details with a method vpass does not accept.",
            "Скрытые сведения документа защищены способом, который vpass не принимает.",
            "Құжаттың жасырын мәліметтері vpass қабылдамайтын әдіспен қорғалған.",
        ),
        Code::SdMalformed => (
            "The list of hidden details inside the credential is broken.",
            "Список скрытых сведений внутри документа повреждён.",
            "Құжат ішіндегі жасырын мәліметтер тізімі бүлінген.",
        ),
        Code::SdTooMany => (
            "The presentation contains far more details than a real credential has; it was rejected as unsafe.",
            "QR-код содержит намного больше сведений, чем бывает в настоящем документе; он отклонён как небезопасный.",
            "QR-кодта нақты құжаттағыдан әлдеқайда көп мәлімет бар; ол қауіпсіз емес деп қабылданбады.",
        ),
        Code::SdFormat => (
            "The presentation is not put together correctly; ask the volunteer to show the QR code again.",
            "QR-код составлен неправильно; попросите волонтёра показать QR-код ещё раз.",
            "QR-код дұрыс құрастырылмаған; еріктіден QR-кодты қайта көрсетуін сұраңыз.",
        ),
        // E. key binding: the holder's own app confirms the presentation
        Code::KbRequired => (
            "Confirmation from the volunteer's own app is required but missing; ask the volunteer to show the QR code from their app.",
            "Требуется подтверждение из приложения самого волонтёра, но его нет; попросите волонтёра показать QR-код из своего приложения.",
            "Еріктінің өз қолданбасынан растау қажет, бірақ ол жоқ; еріктіден QR-кодты өз қолданбасынан көрсетуін сұраңыз.",
        ),
        Code::KbSignatureInvalid => (
            "The confirmation was not signed by the credential's holder; the QR code may have been copied.",
            "Подтверждение не подписано владельцем документа; QR-код мог быть скопирован.",
            "Растауға құжат иесі қол қоймаған; QR-код көшірілген болуы мүмкін.",
        ),
        Code::KbSdHashMismatch => (
            "The volunteer's confirmation does not match the details shown; they were changed after it was made.",
            "Подтверждение волонтёра не совпадает с показанными сведениями; их изменили после подтверждения.",
            "Еріктінің растауы көрсетілген мәліметтерге сәйкес келмейді; олар растаудан кейін өзгертілген.",
        ),
        Code::KbAudMismatch => (
            "This presentation was made for another organisation.",
            "Этот QR-код создан для другой организации.",
            "Бұл QR-код басқа ұйым үшін жасалған.",
        ),
        Code::KbNonceMismatch => (
            "This presentation does not answer your current request; ask the volunteer to make a new one.",
            "Этот QR-код создан не в ответ на ваш текущий запрос; попросите волонтёра создать новый.",
            "Бұл QR-код сіздің ағымдағы сұрауыңызға жауап ретінде жасалмаған; еріктіден жаңасын жасауын сұраңыз.",
        ),
        Code::KbStale => (
            "This presentation is too old; ask the volunteer to show a fresh QR code.",
            "Этот QR-код устарел; попросите волонтёра показать новый QR-код.",
            "Бұл QR-код ескірген; еріктіден жаңа QR-код көрсетуін сұраңыз.",
        ),
        Code::KbNotYetValid => (
            "This presentation is dated in the future; check the clock on this device and on the volunteer's phone.",
            "Этот QR-код датирован будущим временем; проверьте часы на этом устройстве и на телефоне волонтёра.",
            "Бұл QR-кодта болашақ уақыт көрсетілген; осы құрылғы мен еріктінің телефонындағы сағатты тексеріңіз.",
        ),
        Code::KbNoCnf => (
            "The presentation carries a holder's confirmation, but the credential is not tied to any holder's device.",
            "QR-код содержит подтверждение владельца, но документ не привязан ни к какому устройству владельца.",
            "QR-кодта иесінің растауы бар, бірақ құжат иесінің ешбір құрылғысына байланыстырылмаған.",
        ),
        Code::KbKeyInvalid => (
            "The key that ties the credential to the volunteer's device is defective.",
            "Ключ, привязывающий документ к устройству волонтёра, неисправен.",
            "Құжатты еріктінің құрылғысына байланыстыратын кілт ақаулы.",
        ),
        // F. validity and authority
        Code::Expired => (
            "This credential has expired.",
            "Срок действия документа истёк.",
            "Құжаттың қолданылу мерзімі өтіп кеткен.",
        ),
        Code::NotYetValid => (
            "This credential is not valid yet.",
            "Документ ещё не вступил в силу.",
            "Құжат әлі күшіне енбеген.",
        ),
        Code::IssuerKeyMismatch => (
            "The credential claims to come from one office but was signed with another office's key.",
            "В документе указан один выдавший центр, но он подписан ключом другого центра.",
            "Құжатта бір орталық берген деп көрсетілген, бірақ оған басқа орталықтың кілтімен қол қойылған.",
        ),
        Code::IssuerNotAuthorized => (
            "This office is not authorised to issue this kind of credential.",
            "Этот центр не уполномочен выдавать документы такого вида.",
            "Бұл орталықтың мұндай түрдегі құжаттарды беруге өкілеттігі жоқ.",
        ),
        Code::MalformedCredential => (
            "The credential is not built the way a vpass credential must be.",
            "Документ составлен не так, как должен быть составлен документ vpass.",
            "Құжат vpass құжатына қойылатын талаптарға сай құрылмаған.",
        ),
        Code::WrongCredentialType => (
            "This is a different kind of credential from the one you asked for.",
            "Это документ другого вида, а не тот, который вы запросили.",
            "Бұл сіз сұраған құжат емес, басқа түрдегі құжат.",
        ),
        Code::InvalidField => (
            "One of the credential's fields has a value that is not allowed (for example, a negative number of hours).",
            "Одно из полей документа содержит недопустимое значение (например, отрицательное число часов).",
            "Құжат өрістерінің бірінде рұқсат етілмеген мән бар (мысалы, сағат саны теріс).",
        ),
        // G. revocation status
        Code::StatusVerificationError => (
            "The list of revoked credentials cannot be trusted, so it is unknown whether this credential was revoked.",
            "Списку отозванных документов нельзя доверять, поэтому неизвестно, отозван ли этот документ.",
            "Кері қайтарылған құжаттар тізіміне сенуге болмайды, сондықтан бұл құжаттың кері қайтарылған-қайтарылмағаны белгісіз.",
        ),
        Code::StatusUnknown => (
            "It could not be checked whether the credential was revoked; connect to the internet to update the lists.",
            "Не удалось проверить, отозван ли документ; подключитесь к интернету, чтобы обновить списки.",
            "Құжаттың кері қайтарылған-қайтарылмағанын тексеру мүмкін болмады; тізімдерді жаңарту үшін интернетке қосылыңыз.",
        ),
        Code::StatusRollback => (
            "The list of revoked credentials offered is older than one already received; it may be an attempt to hide a revocation.",
            "Предложенный список отозванных документов более ранний, чем уже полученный; возможно, это попытка скрыть отзыв.",
            "Ұсынылған кері қайтарылған құжаттар тізімі бұрын алынғаннан ескірек; бұл құжаттың кері қайтарылғанын жасыру әрекеті болуы мүмкін.",
        ),
        Code::RangeError => (
            "The credential points to a place in the list of revoked credentials that does not exist.",
            "Документ ссылается на позицию в списке отозванных документов, которой не существует.",
            "Құжат кері қайтарылған құжаттар тізіміндегі жоқ орынды көрсетеді.",
        ),
        Code::StatusListLengthError => (
            "The list of revoked credentials is too short to be genuine.",
            "Список отозванных документов слишком короткий, чтобы быть подлинным.",
            "Кері қайтарылған құжаттар тізімі түпнұсқа болу үшін тым қысқа.",
        ),
        Code::MalformedValueError => (
            "The list of revoked credentials, or this credential's place in it, is damaged.",
            "Список отозванных документов или ссылка документа на него повреждены.",
            "Кері қайтарылған құжаттар тізімі немесе құжаттың ондағы орны бүлінген.",
        ),
        Code::Revoked => (
            "The issuing office has revoked this credential.",
            "Выдавший центр отозвал этот документ.",
            "Құжат оны берген орталықтың шешімімен кері қайтарылған.",
        ),
        // H. list of trusted offices
        Code::TrustlistRollback => (
            "The list of trusted offices offered is older than the one already installed; it was refused.",
            "Предложенный список доверенных центров более ранний, чем уже установленный; он отклонён.",
            "Ұсынылған сенімді орталықтар тізімі орнатылғаннан ескірек; ол қабылданбады.",
        ),
        Code::TrustlistExpired => (
            "The list of trusted offices on this device is out of date; connect to the internet to update it.",
            "Список доверенных центров на этом устройстве устарел; подключитесь к интернету, чтобы обновить его.",
            "Осы құрылғыдағы сенімді орталықтар тізімі ескірген; оны жаңарту үшін интернетке қосылыңыз.",
        ),
        Code::TrustlistInvalid => (
            "The list of trusted offices is damaged or not signed by the authority this app trusts; it cannot be used.",
            "Список доверенных центров повреждён или не подписан органом, которому доверяет приложение; использовать его нельзя.",
            "Сенімді орталықтар тізімі бүлінген немесе оған қолданба сенетін орган қол қоймаған; оны пайдалануға болмайды.",
        ),
        Code::KeyCompromised => (
            "The issuing office's signing key was reported stolen or leaked; credentials signed with it cannot be trusted.",
            "Ключ подписи выдавшего центра объявлен украденным или скомпрометированным; документам, подписанным им, нельзя доверять.",
            "Құжатты берген орталықтың қолтаңба кілті ұрланған немесе құпиясы ашылған деп танылған; онымен қол қойылған құжаттарға сенуге болмайды.",
        ),
        // I. time
        Code::ClockInconsistent => (
            "The date and time on this device are wrong (set to a past date); correct them and scan again.",
            "Дата и время на этом устройстве неверны (установлена прошедшая дата); исправьте их и отсканируйте код снова.",
            "Осы құрылғыдағы күн мен уақыт қате (өткен күн қойылған); оларды түзетіп, кодты қайта сканерлеңіз.",
        ),
        // `Code` is `#[non_exhaustive]` in another crate. A code added there without a
        // translation here lands on this arm, and the tests fail.
        _ => FALLBACK_MESSAGE,
    };
    lang.pick(en, ru, kk)
}

/// A short heading for `cat`, shown above the reasons of a verdict.
#[must_use]
pub fn category_title(cat: Category, lang: Lang) -> &'static str {
    // (English, Russian, Kazakh)
    let (en, ru, kk) = match cat {
        Category::Malformed => (
            "Damaged or not a credential",
            "Повреждён или не является документом",
            "Бүлінген немесе құжат емес",
        ),
        Category::UnsupportedAlg => (
            "Unsupported signature method",
            "Неподдерживаемый способ подписи",
            "Қолдау көрсетілмейтін қолтаңба әдісі",
        ),
        Category::SignatureInvalid => (
            "Forged or altered",
            "Подделан или изменён",
            "Жалған немесе өзгертілген",
        ),
        Category::UntrustedIssuer => (
            "Unknown issuer",
            "Неизвестный выдавший центр",
            "Құжатты берген орталық белгісіз",
        ),
        Category::NotAuthorizedForType => (
            "Office not authorised for this type",
            "Центр не уполномочен на этот вид документов",
            "Орталықтың бұл түрге өкілеттігі жоқ",
        ),
        Category::WrongCredentialType => (
            "Wrong kind of credential",
            "Не тот вид документа",
            "Құжат түрі басқа",
        ),
        Category::Expired => ("Expired", "Срок действия истёк", "Мерзімі өткен"),
        Category::NotYetValid => ("Not yet valid", "Ещё не действует", "Әлі күшіне енбеген"),
        Category::Revoked => ("Revoked", "Отозван", "Кері қайтарылған"),
        Category::StatusUnknown => (
            "Revocation not confirmed",
            "Отзыв не проверен",
            "Кері қайтарылуы тексерілмеген",
        ),
        Category::DisclosureInvalid => (
            "Shown details are invalid",
            "Показанные сведения недействительны",
            "Көрсетілген мәліметтер жарамсыз",
        ),
        Category::KeyBindingInvalid => (
            "Not confirmed by the holder",
            "Не подтверждён владельцем",
            "Иесі растамаған",
        ),
        // `Category` is `#[non_exhaustive]` in another crate; see `code_message`.
        _ => FALLBACK_TITLE,
    };
    lang.pick(en, ru, kk)
}

/// Labels and fixed phrases of the human-readable verdict.
///
/// Labels (`Issuer`, `Hours`, …) are written to stand before a colon and a value
/// (`Выдавший центр: …`); lower-case entries (`NotRevoked`, `AudNotChecked`, …) are phrases
/// that stand after such a label or in a list of warnings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Text {
    /// The headline of a verdict that accepts the credential.
    Valid,
    /// The headline of a verdict that rejects the credential.
    NotValid,
    /// Label: the issuing office.
    Issuer,
    /// Label: the volunteer the credential is about.
    Holder,
    /// Label: the kind of credential.
    Type,
    /// Label: the start of validity.
    ValidFrom,
    /// Label: the end of validity.
    ValidUntil,
    /// Label: the revocation status.
    Status,
    /// Status phrase: the credential is not revoked.
    NotRevoked,
    /// Status phrase: revocation was not checked.
    StatusNotChecked,
    /// Label: the date the revocation list was current.
    StatusAsOf,
    /// Phrase: the holder's own device confirmed the presentation.
    HolderBound,
    /// Phrase: nothing confirms that the holder is the one presenting.
    HolderNotBound,
    /// Heading: the details the volunteer chose to show.
    Disclosed,
    /// Heading: the details the volunteer kept hidden.
    Hidden,
    /// Heading: warnings.
    Warnings,
    /// Heading: the reasons of a rejection.
    Reasons,
    /// Label: number of volunteer hours.
    Hours,
    /// Label: the kind of volunteer activity.
    Activity,
    /// Label: the organisation the volunteer worked with.
    Organization,
    /// Label: the period of the activity.
    Period,
    /// Label: the region.
    Region,
    /// Label: the volunteer's full name.
    Name,
    /// Label: a skill.
    Skill,
    /// Label: the level of a skill.
    Level,
    /// Label: an award.
    Award,
    /// Label: the date of an award.
    AwardDate,
    /// Label: who trained the volunteer.
    TrainingProvider,
    /// Label: a category (of activity or award).
    Category,
    /// Warning: the intended organisation of the presentation was not checked.
    AudNotChecked,
    /// Warning: that the presentation answers this request was not checked.
    NonceNotChecked,
    /// Warning: the office's authority for this credential type was not checked.
    IssuerAuthorityNotChecked,
    /// Credential type: volunteer hours.
    HoursCredential,
    /// Credential type: a volunteer skill.
    SkillCredential,
    /// Credential type: a volunteer award.
    AwardCredential,
    /// Credential type: the volunteer passport.
    PassportCredential,
    /// Label: the day a passport's records were read.
    PassportAsOf,
    /// Label: all hours of a passport.
    TotalHours,
    /// Label: how many hours credentials a passport counted.
    Events,
    /// Heading: a passport's hours by category and year.
    HoursByCategory,
    /// Heading: a passport's skills.
    Skills,
    /// Heading: a passport's awards.
    Awards,
    /// Label: who gave an award.
    AwardedBy,
    /// Activity category `social`.
    CategorySocial,
    /// Activity category `environment`.
    CategoryEnvironment,
    /// Activity category `emergency`.
    CategoryEmergency,
    /// Activity category `education`.
    CategoryEducation,
    /// Activity category `health`.
    CategoryHealth,
    /// Activity category `culture`.
    CategoryCulture,
    /// Activity category `sport`.
    CategorySport,
    /// Activity category `animals`.
    CategoryAnimals,
    /// Activity category `other`.
    CategoryOther,
    /// Skill level `basic`.
    LevelBasic,
    /// Skill level `intermediate`.
    LevelIntermediate,
    /// Skill level `advanced`.
    LevelAdvanced,
    /// Skill level `instructor`.
    LevelInstructor,
}

impl Text {
    /// Every text, for exhaustive tests and tooling.
    pub const ALL: &'static [Text] = &[
        Text::Valid,
        Text::NotValid,
        Text::Issuer,
        Text::Holder,
        Text::Type,
        Text::ValidFrom,
        Text::ValidUntil,
        Text::Status,
        Text::NotRevoked,
        Text::StatusNotChecked,
        Text::StatusAsOf,
        Text::HolderBound,
        Text::HolderNotBound,
        Text::Disclosed,
        Text::Hidden,
        Text::Warnings,
        Text::Reasons,
        Text::Hours,
        Text::Activity,
        Text::Organization,
        Text::Period,
        Text::Region,
        Text::Name,
        Text::Skill,
        Text::Level,
        Text::Award,
        Text::AwardDate,
        Text::TrainingProvider,
        Text::Category,
        Text::AudNotChecked,
        Text::NonceNotChecked,
        Text::IssuerAuthorityNotChecked,
        Text::HoursCredential,
        Text::SkillCredential,
        Text::AwardCredential,
        Text::PassportCredential,
        Text::PassportAsOf,
        Text::TotalHours,
        Text::Events,
        Text::HoursByCategory,
        Text::Skills,
        Text::Awards,
        Text::AwardedBy,
        Text::CategorySocial,
        Text::CategoryEnvironment,
        Text::CategoryEmergency,
        Text::CategoryEducation,
        Text::CategoryHealth,
        Text::CategoryCulture,
        Text::CategorySport,
        Text::CategoryAnimals,
        Text::CategoryOther,
        Text::LevelBasic,
        Text::LevelIntermediate,
        Text::LevelAdvanced,
        Text::LevelInstructor,
    ];
}

/// The name of an activity category (`environment` → "Environment", "Охрана природы",
/// "Табиғатты қорғау").
#[must_use]
pub const fn category_text(c: ActivityCategory) -> Text {
    match c {
        ActivityCategory::Social => Text::CategorySocial,
        ActivityCategory::Environment => Text::CategoryEnvironment,
        ActivityCategory::Emergency => Text::CategoryEmergency,
        ActivityCategory::Education => Text::CategoryEducation,
        ActivityCategory::Health => Text::CategoryHealth,
        ActivityCategory::Culture => Text::CategoryCulture,
        ActivityCategory::Sport => Text::CategorySport,
        ActivityCategory::Animals => Text::CategoryAnimals,
        ActivityCategory::Other => Text::CategoryOther,
    }
}

/// The name of a skill level (`basic` → "basic", "базовый", "базалық").
#[must_use]
pub const fn level_text(l: SkillLevel) -> Text {
    match l {
        SkillLevel::Basic => Text::LevelBasic,
        SkillLevel::Intermediate => Text::LevelIntermediate,
        SkillLevel::Advanced => Text::LevelAdvanced,
        SkillLevel::Instructor => Text::LevelInstructor,
    }
}

/// The words for `t` in `lang`.
#[must_use]
pub fn text(t: Text, lang: Lang) -> &'static str {
    // (English, Russian, Kazakh)
    let (en, ru, kk) = match t {
        Text::Valid => (
            "VALID — the credential is authentic and in force",
            "ДЕЙСТВИТЕЛЕН — документ подлинный и действует",
            "ЖАРАМДЫ — құжат түпнұсқа және күшінде",
        ),
        Text::NotValid => (
            "NOT VALID — do not accept this credential",
            "НЕДЕЙСТВИТЕЛЕН — не принимайте этот документ",
            "ЖАРАМСЫЗ — бұл құжатты қабылдамаңыз",
        ),
        Text::Issuer => ("Issuing office", "Выдавший центр", "Құжатты берген орталық"),
        Text::Holder => ("Holder", "Владелец", "Құжат иесі"),
        Text::Type => ("Type", "Вид документа", "Құжат түрі"),
        Text::ValidFrom => ("Valid from", "Действует с", "Күшіне енген күні"),
        Text::ValidUntil => ("Valid until", "Действует до", "Жарамдылық мерзімі"),
        Text::Status => ("Status", "Статус", "Мәртебесі"),
        Text::NotRevoked => ("not revoked", "не отозван", "кері қайтарылмаған"),
        Text::StatusNotChecked => (
            "revocation not checked",
            "отзыв не проверялся",
            "кері қайтарылуы тексерілмеген",
        ),
        Text::StatusAsOf => ("Status as of", "Статус на дату", "Мәртебе күні"),
        Text::HolderBound => (
            "shown by the holder (confirmed from their device)",
            "предъявлен владельцем (подтверждено с его устройства)",
            "құжатты иесінің өзі көрсеткен (оның құрылғысынан расталған)",
        ),
        Text::HolderNotBound => (
            "not confirmed that the holder is the one showing it",
            "не подтверждено, что его предъявляет владелец",
            "көрсетіп тұрған адамның құжат иесі екені расталмаған",
        ),
        Text::Disclosed => ("Shown", "Показано", "Көрсетілген"),
        Text::Hidden => (
            "Hidden by the volunteer",
            "Скрыто волонтёром",
            "Ерікті жасырған",
        ),
        Text::Warnings => ("Warnings", "Предупреждения", "Ескертулер"),
        Text::Reasons => ("Reasons", "Причины", "Себептері"),
        Text::Hours => ("Hours", "Часы", "Сағат саны"),
        Text::Activity => ("Activity", "Вид деятельности", "Қызмет түрі"),
        Text::Organization => ("Organisation", "Организация", "Ұйым"),
        Text::Period => ("Period", "Период", "Кезең"),
        Text::Region => ("Region", "Регион", "Өңір"),
        Text::Name => ("Full name", "ФИО", "Аты-жөні"),
        Text::Skill => ("Skill", "Навык", "Дағды"),
        Text::Level => ("Level", "Уровень", "Деңгейі"),
        Text::Award => ("Award", "Награда", "Марапат"),
        Text::AwardDate => ("Award date", "Дата награждения", "Марапатталған күні"),
        Text::TrainingProvider => ("Training provider", "Обучающая организация", "Оқытқан ұйым"),
        Text::Category => ("Category", "Категория", "Санаты"),
        Text::AudNotChecked => (
            "not checked which organisation the QR code was made for",
            "не проверено, для какой организации создан QR-код",
            "QR-кодтың қай ұйымға арналғаны тексерілмеген",
        ),
        Text::NonceNotChecked => (
            "not checked that the QR code was made for this request",
            "не проверено, что QR-код создан для этого запроса",
            "QR-кодтың осы сұрау үшін жасалғаны тексерілмеген",
        ),
        Text::IssuerAuthorityNotChecked => (
            "not checked whether the office may issue this kind of credential",
            "не проверено, вправе ли центр выдавать такие документы",
            "орталықтың мұндай құжаттарды беруге құқығы бар-жоғы тексерілмеген",
        ),
        Text::HoursCredential => (
            "Volunteer hours",
            "Волонтёрские часы",
            "Еріктілік сағаттары",
        ),
        Text::SkillCredential => ("Volunteer skill", "Навык волонтёра", "Еріктінің дағдысы"),
        Text::AwardCredential => ("Volunteer award", "Награда волонтёра", "Еріктінің марапаты"),
        Text::PassportCredential => (
            "Volunteer passport",
            "Паспорт волонтёра",
            "Еріктінің төлқұжаты",
        ),
        Text::PassportAsOf => ("Records as of", "Сведения на дату", "Мәліметтер күні"),
        Text::TotalHours => ("Total hours", "Всего часов", "Барлық сағат саны"),
        Text::Events => (
            "Activities counted",
            "Учтено мероприятий",
            "Есепке алынған іс-шаралар",
        ),
        Text::HoursByCategory => (
            "Hours by category and year",
            "Часы по категориям и годам",
            "Санаттар мен жылдар бойынша сағаттар",
        ),
        Text::Skills => ("Skills", "Навыки", "Дағдылар"),
        Text::Awards => ("Awards", "Награды", "Марапаттар"),
        Text::AwardedBy => ("Awarded by", "Кем награждён", "Марапаттаған"),
        Text::CategorySocial => ("Social help", "Социальная помощь", "Әлеуметтік көмек"),
        Text::CategoryEnvironment => ("Environment", "Охрана природы", "Табиғатты қорғау"),
        Text::CategoryEmergency => (
            "Emergencies and rescue",
            "Чрезвычайные ситуации и спасение",
            "Төтенше жағдайлар және құтқару",
        ),
        Text::CategoryEducation => ("Education", "Образование", "Білім беру"),
        Text::CategoryHealth => ("Health care", "Здравоохранение", "Денсаулық сақтау"),
        Text::CategoryCulture => (
            "Culture and heritage",
            "Культура и наследие",
            "Мәдениет және мұра",
        ),
        Text::CategorySport => (
            "Sports events",
            "Спортивные мероприятия",
            "Спорттық іс-шаралар",
        ),
        Text::CategoryAnimals => ("Animal welfare", "Помощь животным", "Жануарларға көмек"),
        Text::CategoryOther => ("Other", "Другое", "Басқа"),
        Text::LevelBasic => ("basic", "базовый", "базалық"),
        Text::LevelIntermediate => ("intermediate", "средний", "орта"),
        Text::LevelAdvanced => ("advanced", "продвинутый", "жоғары"),
        Text::LevelInstructor => (
            "instructor (may train others)",
            "инструктор (может обучать других)",
            "нұсқаушы (басқаларды оқыта алады)",
        ),
    };
    lang.pick(en, ru, kk)
}

/// An amount of hours with the unit in the right plural form: "1 час", "22 часа",
/// "25 часов", "1,5 часа"; "48 сағат"; "1 hour", "1.5 hours".
///
/// The amount is rounded to two decimals (trailing zeros dropped) and the plural form is
/// chosen for the number as displayed, as CLDR prescribes. Russian and Kazakh write a decimal
/// comma, English a decimal point; no thousands separator is used. A non-finite amount is
/// shown as `?`.
#[must_use]
pub fn hours(n: f64, lang: Lang) -> String {
    let sep = match lang {
        Lang::Kk | Lang::Ru => ',',
        Lang::En => '.',
    };
    let (number, whole) = format_amount(n, sep);
    let unit = match lang {
        Lang::Kk => "сағат",
        Lang::Ru => ru_hour_form(whole),
        Lang::En => {
            if whole == Some(1) {
                "hour"
            } else {
                "hours"
            }
        }
    };
    format!("{number} {unit}")
}

/// Formats `n` rounded to two decimals with `sep` as the decimal separator. Returns the text
/// and, when no fraction is displayed, the absolute integer value (the CLDR operand `i` with
/// `v = 0`).
fn format_amount(n: f64, sep: char) -> (String, Option<u64>) {
    if !n.is_finite() {
        return ("?".to_owned(), None);
    }
    // Hours never come near 2^53 / 100; the saturating cast keeps absurd inputs harmless.
    let hundredths = (n.abs() * 100.0).round() as u64;
    let (int, frac) = (hundredths / 100, hundredths % 100);
    let sign = if n < 0.0 && hundredths != 0 { "-" } else { "" };
    if frac == 0 {
        (format!("{sign}{int}"), Some(int))
    } else if frac % 10 == 0 {
        (format!("{sign}{int}{sep}{}", frac / 10), None)
    } else {
        (format!("{sign}{int}{sep}{frac:02}"), None)
    }
}

/// The Russian form of "час" for a displayed number (CLDR `ru` cardinal rules).
fn ru_hour_form(whole: Option<u64>) -> &'static str {
    let Some(i) = whole else {
        return "часа"; // other: any visible fraction
    };
    let (mod10, mod100) = (i % 10, i % 100);
    if mod10 == 1 && mod100 != 11 {
        "час" // one
    } else if (2..=4).contains(&mod10) && !(12..=14).contains(&mod100) {
        "часа" // few
    } else {
        "часов" // many
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;

    fn fallback(lang: Lang) -> &'static str {
        let (en, ru, kk) = FALLBACK_MESSAGE;
        lang.pick(en, ru, kk)
    }

    fn all_categories() -> Vec<Category> {
        let mut seen = Vec::new();
        for code in Code::ALL {
            if !seen.contains(&code.category()) {
                seen.push(code.category());
            }
        }
        seen
    }

    #[test]
    fn every_code_has_a_specific_message_in_every_language() {
        for &code in Code::ALL {
            for &lang in Lang::ALL {
                assert_ne!(
                    code_message(code, lang),
                    fallback(lang),
                    "{code} has no {lang} translation"
                );
            }
        }
    }

    #[test]
    fn no_message_is_empty() {
        for &code in Code::ALL {
            for &lang in Lang::ALL {
                assert!(!code_message(code, lang).trim().is_empty(), "{code} {lang}");
            }
        }
    }

    #[test]
    fn messages_are_distinct_per_language() {
        for &lang in Lang::ALL {
            let mut seen: HashMap<&str, Code> = HashMap::new();
            for &code in Code::ALL {
                if let Some(other) = seen.insert(code_message(code, lang), code) {
                    panic!("{code} and {other} share the {lang} message");
                }
            }
        }
    }

    #[test]
    fn messages_are_sentences() {
        for &code in Code::ALL {
            for &lang in Lang::ALL {
                let m = code_message(code, lang);
                assert!(m.ends_with('.'), "{code} {lang}: {m}");
                assert!(!m.contains("  "), "{code} {lang}: {m}");
                let first = m.chars().next().unwrap_or(' ');
                assert!(
                    first.is_uppercase() || m.starts_with("QR"),
                    "{code} {lang}: {m}"
                );
            }
        }
    }

    #[test]
    fn kazakh_is_not_russian() {
        for &code in Code::ALL {
            assert_ne!(code_message(code, Lang::Kk), code_message(code, Lang::Ru));
        }
        for &t in Text::ALL {
            assert_ne!(text(t, Lang::Kk), text(t, Lang::Ru), "{t:?}");
        }
    }

    /// Catches Latin look-alikes typed into Cyrillic words ("cрок" with a Latin c) and the
    /// reverse: no word mixes the two scripts ("QR-код" is two words, "QR" and "код").
    #[test]
    fn no_word_mixes_latin_and_cyrillic() {
        let mut all: Vec<&str> = Vec::new();
        for &lang in Lang::ALL {
            all.extend(Code::ALL.iter().map(|&c| code_message(c, lang)));
            all.extend(
                all_categories()
                    .into_iter()
                    .map(|c| category_title(c, lang)),
            );
            all.extend(Text::ALL.iter().map(|&t| text(t, lang)));
        }
        for s in all {
            for word in s.split(|c: char| !c.is_alphanumeric()) {
                let latin = word.chars().any(|c| c.is_ascii_alphabetic());
                let cyrillic = word.chars().any(|c| ('\u{400}'..='\u{4ff}').contains(&c));
                assert!(!(latin && cyrillic), "mixed scripts in {word:?} of {s:?}");
            }
        }
    }

    #[test]
    fn russian_and_kazakh_messages_are_cyrillic() {
        for &code in Code::ALL {
            for lang in [Lang::Ru, Lang::Kk] {
                let m = code_message(code, lang);
                assert!(
                    m.chars().any(|c| ('\u{400}'..='\u{4ff}').contains(&c)),
                    "{code} {lang}: {m}"
                );
            }
        }
    }

    #[test]
    fn examples_from_the_specification() {
        assert_eq!(
            code_message(Code::Expired, Lang::En),
            "This credential has expired."
        );
        assert_eq!(
            code_message(Code::Expired, Lang::Ru),
            "Срок действия документа истёк."
        );
        assert_eq!(
            code_message(Code::Expired, Lang::Kk),
            "Құжаттың қолданылу мерзімі өтіп кеткен."
        );
        assert_eq!(
            code_message(Code::SignatureInvalid, Lang::En),
            "The signature does not match: the credential was altered or forged."
        );
        assert_eq!(
            code_message(Code::PayloadTooLarge, Lang::En),
            "The code holds more data than a vpass credential can; it is not a vpass credential."
        );
        assert_eq!(
            code_message(Code::KbAudMismatch, Lang::En),
            "This presentation was made for another organisation."
        );
        assert_eq!(
            code_message(Code::KbStale, Lang::En),
            "This presentation is too old; ask the volunteer to show a fresh QR code."
        );
        assert_eq!(
            code_message(Code::Revoked, Lang::En),
            "The issuing office has revoked this credential."
        );
        assert_eq!(
            code_message(Code::IssuerNotAuthorized, Lang::En),
            "This office is not authorised to issue this kind of credential."
        );
        assert_eq!(
            text(Text::Valid, Lang::Ru),
            "ДЕЙСТВИТЕЛЕН — документ подлинный и действует"
        );
        assert_eq!(
            text(Text::Valid, Lang::Kk),
            "ЖАРАМДЫ — құжат түпнұсқа және күшінде"
        );
        assert_eq!(text(Text::HoursCredential, Lang::Kk), "Еріктілік сағаттары");
        assert_eq!(category_title(Category::Expired, Lang::En), "Expired");
        assert_eq!(
            category_title(Category::SignatureInvalid, Lang::En),
            "Forged or altered"
        );
    }

    #[test]
    fn terminology_is_consistent() {
        for &code in Code::ALL {
            let ru = code_message(code, Lang::Ru);
            let kk = code_message(code, Lang::Kk);
            // "волонтёр" with ё, never "волонтер"; never "удостоверение" (we say "документ").
            assert!(!ru.contains("волонтер"), "{code}: {ru}");
            assert!(!ru.contains("удостоверени"), "{code}: {ru}");
            // Kazakh says "құжат" and "ерікті", never "куәлік" or "волонтер".
            assert!(!kk.contains("куәлі"), "{code}: {kk}");
            assert!(!kk.contains("волонт"), "{code}: {kk}");
        }
    }

    #[test]
    fn every_category_has_a_specific_title() {
        let categories = all_categories();
        assert_eq!(
            categories.len(),
            12,
            "every category is reachable from a code"
        );
        for &lang in Lang::ALL {
            let (en, ru, kk) = FALLBACK_TITLE;
            let fallback = lang.pick(en, ru, kk);
            let mut seen = HashSet::new();
            for &cat in &categories {
                let title = category_title(cat, lang);
                assert!(!title.trim().is_empty(), "{} {lang}", cat.as_str());
                assert_ne!(title, fallback, "{} {lang}", cat.as_str());
                assert!(seen.insert(title), "duplicate {lang} title {title}");
            }
        }
    }

    /// Exhaustive on purpose: a new `Text` variant does not compile here until it is listed,
    /// and then the assertions below make sure `Text::ALL` lists it too.
    fn ordinal(t: Text) -> usize {
        match t {
            Text::Valid => 0,
            Text::NotValid => 1,
            Text::Issuer => 2,
            Text::Holder => 3,
            Text::Type => 4,
            Text::ValidFrom => 5,
            Text::ValidUntil => 6,
            Text::Status => 7,
            Text::NotRevoked => 8,
            Text::StatusNotChecked => 9,
            Text::StatusAsOf => 10,
            Text::HolderBound => 11,
            Text::HolderNotBound => 12,
            Text::Disclosed => 13,
            Text::Hidden => 14,
            Text::Warnings => 15,
            Text::Reasons => 16,
            Text::Hours => 17,
            Text::Activity => 18,
            Text::Organization => 19,
            Text::Period => 20,
            Text::Region => 21,
            Text::Name => 22,
            Text::Skill => 23,
            Text::Level => 24,
            Text::Award => 25,
            Text::AwardDate => 26,
            Text::TrainingProvider => 27,
            Text::Category => 28,
            Text::AudNotChecked => 29,
            Text::NonceNotChecked => 30,
            Text::IssuerAuthorityNotChecked => 31,
            Text::HoursCredential => 32,
            Text::SkillCredential => 33,
            Text::AwardCredential => 34,
            Text::PassportCredential => 35,
            Text::PassportAsOf => 36,
            Text::TotalHours => 37,
            Text::Events => 38,
            Text::HoursByCategory => 39,
            Text::Skills => 40,
            Text::Awards => 41,
            Text::AwardedBy => 42,
            Text::CategorySocial => 43,
            Text::CategoryEnvironment => 44,
            Text::CategoryEmergency => 45,
            Text::CategoryEducation => 46,
            Text::CategoryHealth => 47,
            Text::CategoryCulture => 48,
            Text::CategorySport => 49,
            Text::CategoryAnimals => 50,
            Text::CategoryOther => 51,
            Text::LevelBasic => 52,
            Text::LevelIntermediate => 53,
            Text::LevelAdvanced => 54,
            Text::LevelInstructor => 55,
        }
    }

    #[test]
    fn text_all_lists_every_variant_once() {
        assert_eq!(Text::ALL.len(), 56);
        for (i, &t) in Text::ALL.iter().enumerate() {
            assert_eq!(ordinal(t), i, "{t:?}");
        }
    }

    #[test]
    fn every_activity_category_and_skill_level_has_its_own_text() {
        let categories: Vec<Text> = ActivityCategory::ALL
            .into_iter()
            .map(category_text)
            .collect();
        let levels: Vec<Text> = SkillLevel::ALL.into_iter().map(level_text).collect();
        for list in [&categories, &levels] {
            let distinct: HashSet<&Text> = list.iter().collect();
            assert_eq!(distinct.len(), list.len(), "{list:?}");
        }
        assert_eq!(
            text(category_text(ActivityCategory::Environment), Lang::Ru),
            "Охрана природы"
        );
        assert_eq!(text(level_text(SkillLevel::Basic), Lang::Kk), "базалық");
    }

    #[test]
    fn every_text_is_non_empty_in_every_language() {
        for &t in Text::ALL {
            for &lang in Lang::ALL {
                let s = text(t, lang);
                assert!(!s.trim().is_empty(), "{t:?} {lang}");
                assert_eq!(s, s.trim(), "{t:?} {lang}");
            }
        }
    }

    #[test]
    fn texts_are_distinct_per_language() {
        for &lang in Lang::ALL {
            let mut seen = HashMap::new();
            for &t in Text::ALL {
                if let Some(other) = seen.insert(text(t, lang), t) {
                    panic!("{t:?} and {other:?} share the {lang} text");
                }
            }
        }
    }

    #[test]
    fn russian_hours_plurals() {
        let cases = [
            (0.0, "0 часов"),
            (1.0, "1 час"),
            (2.0, "2 часа"),
            (4.0, "4 часа"),
            (5.0, "5 часов"),
            (10.0, "10 часов"),
            (11.0, "11 часов"),
            (12.0, "12 часов"),
            (14.0, "14 часов"),
            (21.0, "21 час"),
            (22.0, "22 часа"),
            (25.0, "25 часов"),
            (101.0, "101 час"),
            (111.0, "111 часов"),
            (112.0, "112 часов"),
            (122.0, "122 часа"),
            (1000.0, "1000 часов"),
            (1.5, "1,5 часа"),
            (0.5, "0,5 часа"),
            (2.25, "2,25 часа"),
            (5.5, "5,5 часа"),
            (11.5, "11,5 часа"),
        ];
        for (n, want) in cases {
            assert_eq!(hours(n, Lang::Ru), want, "{n}");
        }
    }

    #[test]
    fn kazakh_hours_do_not_inflect() {
        assert_eq!(hours(48.0, Lang::Kk), "48 сағат");
        assert_eq!(hours(1.0, Lang::Kk), "1 сағат");
        assert_eq!(hours(21.0, Lang::Kk), "21 сағат");
        assert_eq!(hours(1.5, Lang::Kk), "1,5 сағат");
    }

    #[test]
    fn english_hours_plurals() {
        assert_eq!(hours(1.0, Lang::En), "1 hour");
        assert_eq!(hours(0.0, Lang::En), "0 hours");
        assert_eq!(hours(2.0, Lang::En), "2 hours");
        assert_eq!(hours(21.0, Lang::En), "21 hours");
        assert_eq!(hours(1.5, Lang::En), "1.5 hours");
        assert_eq!(hours(0.25, Lang::En), "0.25 hours");
    }

    #[test]
    fn hours_plural_follows_the_displayed_number() {
        // Rounded to two decimals: 0.999… displays as 1, so it is singular.
        assert_eq!(hours(0.999, Lang::Ru), "1 час");
        assert_eq!(hours(0.999, Lang::En), "1 hour");
        assert_eq!(hours(0.1 + 0.2, Lang::Ru), "0,3 часа");
        assert_eq!(hours(2.001, Lang::Ru), "2 часа");
        assert_eq!(hours(-1.0, Lang::Ru), "-1 час");
        assert_eq!(hours(-0.001, Lang::En), "0 hours");
        assert_eq!(hours(f64::NAN, Lang::Ru), "? часа");
        assert_eq!(hours(f64::INFINITY, Lang::En), "? hours");
    }

    #[test]
    fn lang_parse_accepts_tags_and_locales() {
        let cases = [
            ("kk", Lang::Kk),
            ("KK", Lang::Kk),
            ("kz", Lang::Kk),
            ("KZ", Lang::Kk),
            ("kaz", Lang::Kk),
            ("kk-KZ", Lang::Kk),
            ("kk-kz", Lang::Kk),
            ("kk-Cyrl-KZ", Lang::Kk),
            ("kk_KZ.UTF-8", Lang::Kk),
            ("ru", Lang::Ru),
            ("Ru", Lang::Ru),
            ("ru-RU", Lang::Ru),
            ("ru-KZ", Lang::Ru),
            ("ru_RU.UTF-8", Lang::Ru),
            ("ru_KZ.utf8", Lang::Ru),
            ("rus", Lang::Ru),
            ("en", Lang::En),
            ("EN", Lang::En),
            ("en-US", Lang::En),
            ("en-GB", Lang::En),
            ("en_US.UTF-8", Lang::En),
            ("en_GB@euro", Lang::En),
            (" ru ", Lang::Ru),
        ];
        for (s, want) in cases {
            assert_eq!(Lang::parse(s), Some(want), "{s:?}");
        }
    }

    #[test]
    fn lang_parse_rejects_other_values() {
        for s in [
            "", " ", "C", "POSIX", "C.UTF-8", "de", "de-DE", "uz_UZ", "k", "kkk", "russian",
        ] {
            assert_eq!(Lang::parse(s), None, "{s:?}");
        }
    }

    #[test]
    fn lang_as_str_round_trips_and_default_is_english() {
        for &lang in Lang::ALL {
            assert_eq!(Lang::parse(lang.as_str()), Some(lang));
            assert_eq!(lang.to_string(), lang.as_str());
        }
        assert_eq!(Lang::default(), Lang::En);
    }

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn lang_from_environment_variables() {
        assert_eq!(Lang::from_vars(env(&[])), Lang::En);
        assert_eq!(Lang::from_vars(env(&[("LANG", "ru_RU.UTF-8")])), Lang::Ru);
        assert_eq!(Lang::from_vars(env(&[("LANG", "kk_KZ.UTF-8")])), Lang::Kk);
        assert_eq!(Lang::from_vars(env(&[("LC_ALL", "kk_KZ.UTF-8")])), Lang::Kk);
        // VPASS_LANG wins over the locale.
        assert_eq!(
            Lang::from_vars(env(&[("VPASS_LANG", "kk"), ("LANG", "ru_RU.UTF-8")])),
            Lang::Kk
        );
        // An unrecognised VPASS_LANG is ignored.
        assert_eq!(
            Lang::from_vars(env(&[("VPASS_LANG", "xx"), ("LANG", "ru_RU.UTF-8")])),
            Lang::Ru
        );
        // LC_ALL overrides LANG, as in POSIX, even when it is another language.
        assert_eq!(
            Lang::from_vars(env(&[("LC_ALL", "ru_RU.UTF-8"), ("LANG", "kk_KZ.UTF-8")])),
            Lang::Ru
        );
        assert_eq!(
            Lang::from_vars(env(&[("LC_ALL", "C"), ("LANG", "ru_RU.UTF-8")])),
            Lang::En
        );
        // Empty values are as good as unset.
        assert_eq!(
            Lang::from_vars(env(&[("LC_ALL", ""), ("LANG", "ru_RU.UTF-8")])),
            Lang::Ru
        );
        assert_eq!(
            Lang::from_vars(env(&[("LC_MESSAGES", "kk_KZ"), ("LANG", "en_US")])),
            Lang::Kk
        );
    }
}
