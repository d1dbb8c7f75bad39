//! Untrusted `encodedList` text → `status::StatusList::decode`, and untrusted
//! `statusListIndex` text → `status::parse_status_index`. Must never panic, hang or allocate
//! without bound (a gzip bomb stops at the 16 MiB cap). Whatever decodes has at least 131,072
//! entries, answers every index below its length and refuses the first one past it, reads
//! the same with another `statusSize` or refuses it, and (up to 1 MiB) encodes to text that
//! decodes to the same list. An index that parses prints back as the same text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vpass_credential::status::{parse_status_index, StatusList, MIN_ENTRIES};
use vpass_credential::Code;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(list) = StatusList::decode(text) {
        let len = list.len();
        assert!(len >= MIN_ENTRIES);
        let last = u64::try_from(len - 1).expect("usize fits in u64");
        assert!(list.get(0).is_ok() && list.get(last).is_ok());
        for past in [last + 1, u64::MAX] {
            assert_eq!(list.get(past).map_err(|e| e.code()), Err(Code::RangeError));
        }
        if list.as_bytes().len() <= 1 << 20 {
            let again = StatusList::decode(&list.encode()).expect("own encoding decodes");
            assert_eq!(again, list);
        }
        let size = u8::try_from(text.len() % 10).expect("below 10");
        if let Ok(wide) = list.clone().into_status_size(size) {
            assert!(wide.len() >= MIN_ENTRIES);
            let last = u64::try_from(wide.len() - 1).expect("usize fits in u64");
            assert!(wide.status(last).is_ok());
        }
    }
    if let Ok(index) = parse_status_index(text) {
        assert_eq!(index.to_string(), text);
    }
});
