//! Tests of request ids and HTTP dates.

use std::time::{Duration, UNIX_EPOCH};

use crate::ids::{http_date, request_id};

#[test]
fn http_dates() {
    let at = |seconds| http_date(UNIX_EPOCH + Duration::from_secs(seconds));
    assert_eq!(at(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    assert_eq!(at(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
    assert_eq!(at(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
    assert_eq!(at(1_735_689_599), "Tue, 31 Dec 2024 23:59:59 GMT");
}

#[test]
fn request_ids_look_like_uuids() {
    let id = request_id();
    let groups: Vec<usize> = id.split('-').map(str::len).collect();
    assert_eq!(groups, [8, 4, 4, 4, 12], "{id}");
    assert_eq!(id.chars().nth(14), Some('4'), "{id}");
    assert_ne!(request_id(), request_id());
}
