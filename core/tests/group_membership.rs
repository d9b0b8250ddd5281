//! Group membership as the kernel defines it: manual groups by the account's list, dynamic
//! groups by their rule only.
#![allow(clippy::unwrap_used)]

use serde_json::json;
use warden_core::Policy;
use warden_core::access::is_group_member;
use warden_core::model::Account;

fn acct(v: serde_json::Value) -> Account {
    serde_json::from_value(v).unwrap()
}

#[test]
fn manual_by_list_dynamic_by_rule() {
    let p = Policy::preset("001").unwrap();
    let access = p.access().unwrap();
    let ids: Vec<&str> = access.group_ids().collect();
    assert!(ids.contains(&"all-employees") && ids.contains(&"people-managers"));
    assert_eq!(access.is_dynamic_group("all-employees"), Some(true));
    assert_eq!(access.is_dynamic_group("people-managers"), Some(false));
    assert_eq!(access.is_dynamic_group("nope"), None);

    let active = acct(json!({"id": "a", "status": "active", "groups": ["people-managers"]}));
    let gone = acct(json!({"id": "b", "status": "inactive", "groups": ["all-employees"]}));
    assert_eq!(
        is_group_member(access, &active, "all-employees"),
        Some(true)
    );
    assert_eq!(
        is_group_member(access, &gone, "all-employees"),
        Some(false),
        "a dynamic group listed on the account does not make it a member"
    );
    assert_eq!(
        is_group_member(access, &active, "people-managers"),
        Some(true)
    );
    assert_eq!(
        is_group_member(access, &gone, "people-managers"),
        Some(false)
    );
    assert_eq!(is_group_member(access, &active, "nope"), None);
}
