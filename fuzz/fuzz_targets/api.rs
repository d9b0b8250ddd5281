//! The JSON entry point: any request text, any operation of the contract.
//!
//! Invariants: no panic; a success is JSON carrying the contract version, reads back into
//! its operation's output type unchanged, and every allow names the rule that granted it
//! and every deny says why; a failure is the contract's error envelope; the same request
//! gives the same answer twice (no clock, no randomness, no hidden state).
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use warden_fuzz::{check_error_envelope, check_response, op_of};

fuzz_target!(
    // The built-in common-password list is sorted once per process: not per input.
    init: {
        let _ = warden_core::password::Blocklist::builtin();
    },
    |data: &[u8]| {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        let answer = warden_core::api::evaluate_text(text);
        match &answer {
            Ok(response) => {
                let response: Value = serde_json::from_str(response).expect("a response is JSON");
                let request: Value = serde_json::from_str(text).expect("an accepted request is JSON");
                let op = op_of(&request).expect("an accepted request names an operation");
                check_response(op, &response);
            }
            Err(envelope) => check_error_envelope(envelope),
        }
        assert_eq!(
            warden_core::api::evaluate_text(text),
            answer,
            "the same request answered twice differs"
        );
    }
);
