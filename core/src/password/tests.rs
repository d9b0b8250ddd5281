#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use super::*;
use crate::violation::Code;

fn nist() -> ResolvedPasswordPolicy {
    Profile::Nist80063b4.resolved()
}

fn composition() -> ResolvedPasswordPolicy {
    Profile::Composition.resolved()
}

fn codes(policy: &ResolvedPasswordPolicy, pw: &str, ctx: &PasswordContext<'_>) -> Vec<Code> {
    check_password_with(policy, pw, ctx, Blocklist::builtin())
        .issues
        .iter()
        .map(|i| i.code)
        .collect()
}

fn none() -> PasswordContext<'static> {
    PasswordContext::default()
}

/// Tiny deterministic xorshift32, for tests only.
struct XorShift(u32);

impl RandomSource for XorShift {
    fn next_u32(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }
}

fn rng(seed: u32) -> XorShift {
    XorShift(seed.wrapping_mul(0x9E37_79B9) | 1)
}

// ---- policy ----

#[test]
fn profiles_resolve_to_their_defaults() {
    let n = PasswordPolicy::default().resolve().unwrap();
    assert_eq!(n, nist());
    assert_eq!(n.min_length(), 15);
    assert_eq!(n.min_length_with_mfa(), 8);
    assert_eq!(n.max_length(), 64);
    assert_eq!(n.required_classes(), 0);
    assert!(n.blocklist() && n.similarity());
    assert_eq!(n.hash(), ResolvedHashParams::OWASP);
    let c = PasswordPolicy::from_profile(Profile::Composition)
        .resolve()
        .unwrap();
    assert_eq!(c, composition());
    assert_eq!((c.min_length(), c.max_length()), (8, 128));
    assert_eq!(c.required_classes(), 4);
}

#[test]
fn policy_deserialises_camel_case_and_refuses_unknown_keys() {
    let p: PasswordPolicy = serde_json::from_str(
        r#"{"profile":"nist-800-63b-4","maxLength":128,"hash":{"memoryKib":47104,"iterations":1}}"#,
    )
    .unwrap();
    let r = p.resolve().unwrap();
    assert_eq!(r.max_length(), 128);
    assert_eq!(r.hash().memory_kib, 47104);
    assert_eq!(r.hash().parallelism, 1);
    let p: PasswordPolicy = serde_json::from_str(r#"{"profile":"composition"}"#).unwrap();
    assert_eq!(p.profile, Some(Profile::Composition));
    assert!(serde_json::from_str::<PasswordPolicy>(r#"{"minLen":3}"#).is_err());
    assert!(serde_json::from_str::<PasswordPolicy>(r#"{"hash":{"memory":3}}"#).is_err());
    let shown = serde_json::to_value(composition()).unwrap();
    assert_eq!(shown["minLength"], 8);
    assert_eq!(shown["profile"], "composition");
    assert_eq!(shown["hash"]["memoryKib"], 19456);
}

#[test]
fn policy_contradictions_are_refused_with_their_key() {
    let cases: &[(&str, &str)] = &[
        (r#"{"profile":"composition","minLength":0}"#, "minLength"),
        (
            r#"{"profile":"composition","minLength":20,"maxLength":10}"#,
            "minLength",
        ),
        (r#"{"maxLength":5000}"#, "maxLength"),
        (r#"{"maxLength":63}"#, "maxLength"),
        (r#"{"minLength":12}"#, "minLength"),
        (r#"{"requireUpper":true}"#, "requireUpper"),
        (r#"{"blocklist":false}"#, "blocklist"),
        (r#"{"expiryDays":90}"#, "expiryDays"),
        (r#"{"minLengthWithMfa":20}"#, "minLengthWithMfa"),
        (
            r#"{"profile":"composition","minLength":2,"maxLength":3}"#,
            "maxLength",
        ),
        (r#"{"profile":"composition","expiryDays":0}"#, "expiryDays"),
        (r#"{"hash":{"memoryKib":4096}}"#, "hash"),
        (r#"{"hash":{"memoryKib":19456,"iterations":1}}"#, "hash"),
        (r#"{"hash":{"memoryKib":2000000}}"#, "hash.memoryKib"),
        (r#"{"hash":{"memoryKib":262145}}"#, "hash.memoryKib"),
        // Within each bound, but a hash of seconds for every sign-in (an unknown login's
        // too): the product is bounded.
        (r#"{"hash":{"memoryKib":262144,"iterations":3}}"#, "hash"),
        (r#"{"hash":{"memoryKib":19456,"iterations":64}}"#, "hash"),
        (r#"{"hash":{"parallelism":0}}"#, "hash.parallelism"),
        (r#"{"hash":{"iterations":1000}}"#, "hash.iterations"),
    ];
    for (json, key) in cases {
        let p: PasswordPolicy = serde_json::from_str(json).unwrap();
        let e = p.resolve().unwrap_err();
        assert_eq!(e.key(), *key, "{json}: {e}");
        let msg = e.to_string();
        assert!(msg.contains('`'), "{msg}");
        assert!(!msg.ends_with('.'), "{msg}");
        assert!(msg.starts_with(|c: char| !c.is_uppercase()), "{msg}");
    }
    let ok: PasswordPolicy =
        serde_json::from_str(r#"{"profile":"composition","minLength":12,"maxLength":12}"#).unwrap();
    assert_eq!(ok.resolve().unwrap().min_length_with_mfa(), 12);
}

#[test]
fn r003_06_expiry_days_resolved() {
    let p: PasswordPolicy =
        serde_json::from_str(r#"{"profile":"composition","expiryDays":90}"#).unwrap();
    assert_eq!(p.resolve().unwrap().expiry_days(), Some(90));
    assert_eq!(composition().expiry_days(), None);
    let e = PasswordPolicy {
        expiry_days: Some(90),
        ..PasswordPolicy::default()
    }
    .resolve()
    .unwrap_err();
    assert_eq!(e.key(), "expiryDays");
}

// ---- password secret ----

#[test]
fn password_debug_is_redacted() {
    let p = Password::new("hunter2");
    let shown = format!("{p:?}");
    assert!(!shown.contains("hunter2"));
    assert_eq!(shown, "Password(<redacted>)");
    assert_eq!(p.expose(), "hunter2");
    let q: Password = serde_json::from_str(r#""s3cret value""#).unwrap();
    assert_eq!(q.expose(), "s3cret value");
    assert!(!format!("{:?}", vec![q]).contains("s3cret"));
    assert!(Password::new("  ").is_blank());
}

// ---- R000-04 composition ----

#[test]
fn r000_04_password_requires_upper_lower_digit_special() {
    let c = composition();
    assert_eq!(codes(&c, "Xk9#mq2!Zr", &none()), vec![]);
    assert_eq!(
        codes(&c, "xkqmzrvbt", &none()),
        vec![
            Code::PasswordMissingUpper,
            Code::PasswordMissingDigit,
            Code::PasswordMissingSpecial
        ]
    );
    assert_eq!(
        codes(&c, "XKQMZ8#RVB", &none()),
        vec![Code::PasswordMissingLower]
    );
    // A space is a special character.
    assert_eq!(codes(&c, "Xk9 mq2Zrv", &none()), vec![]);
    // Every unmet rule is reported, not only the first.
    let report = check_password(&c, "ab", &none());
    let got: Vec<Code> = report.issues.iter().map(|i| i.code).collect();
    assert_eq!(
        got,
        vec![
            Code::PasswordTooShort,
            Code::PasswordMissingUpper,
            Code::PasswordMissingDigit,
            Code::PasswordMissingSpecial,
        ]
    );
    assert_eq!(report.issues[0].params["min"], 8);
    assert_eq!(report.issues[0].params["actual"], 2);
}

#[test]
fn r000_04_common_password_rejected() {
    let c = composition();
    for pw in ["password123", "P@ssw0rd123!", "Password123!", "Qwerty123!"] {
        assert!(
            codes(&c, pw, &none()).contains(&Code::PasswordCommon),
            "{pw} should be common"
        );
        assert_eq!(check_password(&c, pw, &none()).score, 0);
    }
    let list = Blocklist::builtin();
    assert_eq!(list.len(), 19_640);
    assert!(list.contains("password"));
    assert!(list.contains("PASSWORD"));
    assert!(list.contains("p4ssw0rd"));
    assert!(list.contains("1password1"));
    assert!(!list.contains("Xk9#mq2!Zr7$vbWq"));
    assert!(!list.contains("k12345678901234"));
    let custom = Blocklist::from_text("Acme\n\n  tenantword \r\nacme\n");
    assert_eq!(custom.len(), 2);
    assert!(custom.contains("ACME2024!"));
    assert!(custom.contains("t3n4ntw0rd"));
    assert!(!custom.contains("acm"));
    let report = check_password_with(&composition(), "Tenantword1!", &none(), &custom);
    assert_eq!(report.issues[0].code, Code::PasswordCommon);
}

#[test]
fn r000_05_blank_password_is_recognised() {
    assert!(Password::new("").is_blank());
    assert!(!Password::new(" x ").is_blank());
    // Checked, a blank password is no password: sixteen different Unicode spaces met every
    // other rule of either profile.
    let spaces = " \u{3000}\u{2005}\u{a0}\u{2001}\u{2009}\u{2003}\u{1680}\u{2007}\u{202f}\u{2002}\u{205f}\u{2008}\u{2004}\u{200a}\u{2006}";
    for pw in ["", "   ", spaces] {
        for p in [nist(), composition()] {
            let r = check_password(&p, pw, &none());
            assert!(!r.is_acceptable(), "{pw:?}");
            assert!(codes(&p, pw, &none()).contains(&Code::Required), "{pw:?}");
        }
    }
    assert!(!codes(&nist(), " x-Pelican-Ruby-42 ", &none()).contains(&Code::Required));
}

// ---- NIST ----

#[test]
fn nist_minimum_is_15_or_8_with_mfa() {
    let n = nist();
    let pw = "tangerine-owl-k"; // 15
    assert_eq!(codes(&n, pw, &none()), vec![]);
    let short = "tangerine-owl"; // 13
    let report = check_password(&n, short, &none());
    assert_eq!(report.issues.len(), 1);
    assert_eq!(report.issues[0].code, Code::PasswordTooShort);
    assert_eq!(report.issues[0].params["min"], 15);
    assert_eq!(report.issues[0].params["actual"], 13);
    let mfa = PasswordContext::new().with_mfa(true);
    assert_eq!(codes(&n, "tang-owl", &mfa), vec![]);
    assert_eq!(codes(&n, "tang-ow", &mfa), vec![Code::PasswordTooShort]);
    // No composition rules under NIST.
    assert_eq!(codes(&n, "zebra lantern quietly", &none()), vec![]);
}

#[test]
fn nist_long_passwords_accepted_and_never_truncated() {
    let n = nist();
    let unit = "Correct horse, battery staple? Mauve! ";
    let pw64: String = unit.chars().cycle().take(64).collect();
    assert_eq!(codes(&n, &pw64, &none()), vec![]);
    let pw65: String = unit.chars().cycle().take(65).collect();
    assert_eq!(codes(&n, &pw65, &none()), vec![Code::PasswordTooLong]);
    let wide = PasswordPolicy {
        max_length: Some(256),
        ..PasswordPolicy::default()
    }
    .resolve()
    .unwrap();
    assert_eq!(codes(&wide, &pw65, &none()), vec![]);
    let pw200: String = unit.chars().cycle().take(200).collect();
    assert_eq!(codes(&wide, &pw200, &none()), vec![]);
    let report = check_password(&n, &pw200, &none());
    assert_eq!(report.issues.len(), 1);
    assert_eq!(report.issues[0].code, Code::PasswordTooLong);
    assert_eq!(report.issues[0].params["max"], 64);
    assert_eq!(report.issues[0].params["actual"], 200);
    assert!(report.score <= 1);
}

#[test]
fn nist_nfkc_fullwidth_equals_ascii() {
    let n = nist();
    let wide = check_password(&n, "ＰＡＳＳ", &none());
    let ascii = check_password(&n, "PASS", &none());
    assert_eq!(wide, ascii);
    assert_eq!(wide.issues[0].params["actual"], 4);
    // Normalised before the blocklist too.
    assert!(codes(&n, "ｐａｓｓｗｏｒｄ", &none()).contains(&Code::PasswordCommon));
}

#[test]
fn control_characters_rejected() {
    let n = nist();
    let got = codes(&n, "tangerine\towl-kite", &none());
    assert_eq!(got, vec![Code::PasswordInvalidCharacters]);
    let report = check_password(&n, "tangerine\u{0}owl-kite", &none());
    assert_eq!(report.score, 0);
    assert!(report.issues[0].params.is_empty());
}

// ---- similarity ----

#[test]
fn similarity_first_name_rejected() {
    let c = composition();
    let ctx = PasswordContext::new().with_attribute("firstName", "Sophie");
    let report = check_password(&c, "Sophie2024!xyz", &ctx);
    assert_eq!(report.issues.len(), 1);
    assert_eq!(report.issues[0].code, Code::PasswordSimilar);
    assert_eq!(report.issues[0].params["attribute"], "firstName");
    assert_eq!(report.score, 0);
    // Leet and near matches.
    assert!(codes(&c, "S0ph1e#2024x", &ctx).contains(&Code::PasswordSimilar));
    assert!(codes(&c, "Sofie#2024", &ctx).contains(&Code::PasswordSimilar));
    assert_eq!(codes(&c, "Xk9#mq2!Zr", &ctx), vec![]);
}

#[test]
fn similarity_email_local_part_parts() {
    let n = nist();
    let ctx = PasswordContext::new()
        .with_attribute("email", "jean-luc.picard+hr@starfleet.example")
        .with_attribute("lastName", "Dupont");
    for pw in [
        "enterprise-picard-1701",
        "my-jean-is-blue-today",
        "hrx-zebra-lantern",
    ] {
        let report = check_password(&n, pw, &ctx);
        let attrs: Vec<_> = report
            .issues
            .iter()
            .filter(|i| i.code == Code::PasswordSimilar)
            .map(|i| i.params["attribute"].clone())
            .collect();
        if pw.starts_with("hrx") {
            // `hr` is shorter than 3 characters: not looked for.
            assert!(attrs.is_empty(), "{pw}");
        } else {
            assert_eq!(attrs, vec!["email"], "{pw}");
        }
    }
    // The domain is not looked for.
    assert_eq!(codes(&n, "starfleet zebra lantern", &ctx), vec![]);
    // Two attributes, two issues.
    let report = check_password(&n, "picard-dupont-zebra", &ctx);
    assert_eq!(
        report
            .issues
            .iter()
            .filter(|i| i.code == Code::PasswordSimilar)
            .count(),
        2
    );
}

// ---- repetition ----

#[test]
fn repetitive_and_sequential_rejected() {
    let n = nist();
    for pw in [
        "aaaaaaaaaaaaaaaa",
        "abcabcabcabcabcab",
        "AbAbAbAbAbAbAbAb",
        "abcdefghijklmnop",
        "1234567890123456",
        "zyxwvutsrqponmlk",
    ] {
        assert!(
            codes(&n, pw, &none()).contains(&Code::PasswordRepetitive),
            "{pw}"
        );
    }
    let c = composition();
    for pw in ["abcdefgh", "12345678", "87654321"] {
        assert!(
            codes(&c, pw, &none()).contains(&Code::PasswordRepetitive),
            "{pw}"
        );
    }
    assert!(!codes(&n, "tangerine-owl-kite", &none()).contains(&Code::PasswordRepetitive));
}

// ---- report ----

#[test]
fn checklist_lists_every_enforced_rule() {
    let c = composition();
    let report = check_password(&c, "xkqmzrvbt", &none());
    let list: Vec<(Code, bool)> = report.checklist.iter().map(|i| (i.code, i.met)).collect();
    assert_eq!(
        list,
        vec![
            (Code::PasswordTooShort, true),
            (Code::PasswordTooLong, true),
            (Code::PasswordMissingUpper, false),
            (Code::PasswordMissingLower, true),
            (Code::PasswordMissingDigit, false),
            (Code::PasswordMissingSpecial, false),
            (Code::PasswordCommon, true),
            (Code::PasswordSimilar, true),
            (Code::PasswordRepetitive, true),
            (Code::PasswordInvalidCharacters, true),
        ]
    );
    assert_eq!(report.checklist[0].params["min"], 8);
    let n = nist();
    let report = check_password(&n, "tangerine-owl-kite", &none());
    assert_eq!(report.checklist.len(), 6);
    assert!(report.checklist.iter().all(|i| i.met));
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["issues"], serde_json::json!([]));
    assert!(json["entropyBits"].as_f64().unwrap() > 50.0);
    assert_eq!(json["checklist"][0]["code"], "password_too_short");
    let report = check_password(&n, "short", &none());
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["issues"][0]["code"], "password_too_short");
    assert_eq!(json["issues"][0]["params"]["min"], 15);
    let v = report.violations(&crate::violation::Path::key("password"), crate::Lang::En);
    assert_eq!(v[0].message, "must be at least 15 characters long");
}

#[test]
fn strength_score_is_monotonic_and_penalised() {
    let n = nist();
    let weak = check_password(&n, "tangerineowlkit", &none()).score;
    let strong = check_password(&n, "Xk9#mq2!Zr7$vbWq-Lp3", &none()).score;
    assert!(strong >= weak, "{strong} {weak}");
    assert_eq!(strong, 4);
    assert_eq!(strength::score_for_bits(0.0), 0);
    assert_eq!(strength::score_for_bits(28.0), 1);
    assert_eq!(strength::score_for_bits(59.9), 2);
    assert_eq!(strength::score_for_bits(80.0), 4);
    assert!(
        strength::estimate_entropy_bits("aaaaaaaa") < strength::estimate_entropy_bits("akqmzrvb")
    );
    assert_eq!(check_password(&n, "password", &none()).score, 0);
}

// ---- generation ----

#[test]
fn r004_05_generated_temporary_password_meets_policy() {
    for policy in [nist(), composition()] {
        for seed in 0..1_000_u32 {
            let pw = generate_password(&policy, &mut rng(seed), None);
            let s = pw.expose();
            assert_eq!(s.chars().count(), generated_length(&policy, None));
            assert!(!s.contains(['0', 'O', '1', 'l', 'I']), "{s}");
            let report = check_password(&policy, s, &none());
            assert!(report.is_acceptable(), "seed {seed}: {:?}", report.issues);
            assert!(s.chars().any(char::is_uppercase));
            assert!(s.chars().any(char::is_lowercase));
            assert!(s.chars().any(|c| c.is_ascii_digit()));
            assert!(s.chars().any(|c| !c.is_alphanumeric()));
        }
    }
    assert_eq!(
        generate_password(&nist(), &mut rng(1), None).expose().len(),
        16
    );
    assert_eq!(
        generate_password(&composition(), &mut rng(1), Some(4))
            .expose()
            .len(),
        8
    );
    assert_eq!(
        generate_password(&nist(), &mut rng(1), Some(500))
            .expose()
            .len(),
        64
    );
}

#[test]
fn r004_08_reset_generates_new_temporary_password() {
    let mut r = rng(42);
    let first = generate_password(&composition(), &mut r, None);
    let second = generate_password(&composition(), &mut r, None);
    assert_ne!(first.expose(), second.expose());
}

#[test]
fn generation_with_a_broken_rng_falls_back_deterministically() {
    struct Stuck;
    impl RandomSource for Stuck {
        fn next_u32(&mut self) -> u32 {
            u32::MAX
        }
    }
    for policy in [nist(), composition()] {
        let a = generate_password(&policy, &mut Stuck, None);
        let b = generate_password(&policy, &mut Stuck, None);
        assert_eq!(a.expose(), b.expose());
        assert!(check_password(&policy, a.expose(), &none()).is_acceptable());
    }
    for len in 4..=128 {
        let s = super::generate::fallback_for_tests(len);
        let policy = if len >= 15 { nist() } else { composition() };
        if len >= policy.min_length() && len <= policy.max_length() {
            assert!(
                check_password(&policy, &s, &none()).is_acceptable(),
                "{len}: {s}"
            );
        }
    }
}

#[test]
fn generation_avoids_the_users_data() {
    let ctx = PasswordContext::new().with_attribute("firstName", "Anna");
    for seed in 0..200 {
        let pw = generate_password_with(&composition(), &mut rng(seed), None, &ctx);
        assert!(check_password(&composition(), pw.expose(), &ctx).is_acceptable());
    }
}

// ---- hashing ----

#[cfg(feature = "hash")]
mod hashing {
    use super::*;

    const SALT: &[u8] = b"0123456789abcdef";

    /// The cheapest parameters the policy accepts (OWASP m=7168, t=5).
    fn cheap() -> ResolvedPasswordPolicy {
        PasswordPolicy {
            hash: Some(HashParams {
                memory_kib: Some(7168),
                iterations: Some(5),
                parallelism: Some(1),
            }),
            ..PasswordPolicy::default()
        }
        .resolve()
        .unwrap()
    }

    /// A PHC string for `correct horse` with m=7168,t=5,p=1 (computed by this module).
    fn stored() -> String {
        hash_password(&cheap(), "correct horse", SALT).unwrap()
    }

    #[test]
    fn hash_round_trip_and_wrong_password() {
        let policy = cheap();
        let phc = stored();
        assert!(phc.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{phc}");
        let ok = verify_password(&policy, &phc, "correct horse").unwrap();
        assert_eq!(
            ok,
            Verification {
                matches: true,
                needs_rehash: false
            }
        );
        let bad = verify_password(&policy, &phc, "correct horsf").unwrap();
        assert!(!bad.matches);
        // NFKC before hashing: the fullwidth form verifies.
        assert!(
            verify_password(&policy, &phc, "ｃｏｒｒｅｃｔ horse")
                .unwrap()
                .matches
        );
        // The old parameters need a rehash under the OWASP defaults.
        assert!(needs_rehash(&nist(), &phc).unwrap());
        assert!(!needs_rehash(&policy, &phc).unwrap());
    }

    #[test]
    fn hash_at_default_owasp_params() {
        let policy = nist();
        assert_eq!(policy.hash(), ResolvedHashParams::OWASP);
        let phc = hash_password(&policy, "tangerine-owl-kite", SALT).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(
            verify_password(&policy, &phc, "tangerine-owl-kite")
                .unwrap()
                .matches
        );
    }

    #[test]
    fn needs_rehash_when_params_or_algorithm_change() {
        // Parsing only: no hashing here.
        let hash = "$argon2id$v=19$m=19456,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        assert!(!needs_rehash(&nist(), hash).unwrap());
        assert!(needs_rehash(&cheap(), hash).unwrap());
        let argon2i = hash.replace("argon2id", "argon2i");
        assert!(needs_rehash(&nist(), &argon2i).unwrap());
        let old = hash.replace("v=19", "v=16");
        assert!(needs_rehash(&nist(), &old).unwrap());
        let scrypt = "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E";
        assert!(needs_rehash(&nist(), scrypt).unwrap());
        assert!(matches!(
            verify_password(&nist(), scrypt, "x"),
            Err(HashError::UnsupportedAlgorithm { .. })
        ));
        let huge = hash.replace("m=19456", "m=4000000");
        assert_eq!(
            verify_password(&nist(), &huge, "x"),
            Err(HashError::CostsTooHigh)
        );
    }

    #[test]
    fn malformed_phc_and_short_salt_are_errors() {
        for phc in [
            "",
            "not a hash",
            "$argon2id$v=19$m=19456,t=2,p=1",
            "$argon2id$$$",
        ] {
            let e = verify_password(&nist(), phc, "hunter2").unwrap_err();
            assert!(
                matches!(e, HashError::MalformedHash | HashError::InvalidParams),
                "{phc}: {e:?}"
            );
            assert!(!e.to_string().contains("hunter2"));
            assert!(needs_rehash(&nist(), phc).is_err());
        }
        let e = hash_password(&nist(), "hunter2", b"short").unwrap_err();
        assert_eq!(e, HashError::SaltTooShort { actual: 5 });
        assert!(!format!("{e} {e:?}").contains("hunter2"));
        assert!(matches!(
            hash_password(&nist(), "hunter2", &[7; 49]),
            Err(HashError::SaltTooLong { .. })
        ));
    }
}

#[test]
fn a_password_beyond_the_analysed_bytes_is_judged_by_its_length_alone() {
    let policy = composition();
    let at_bound = "Ab1!".repeat(MAX_PASSWORD_BYTES / 4);
    let analysed = check_password_with(&policy, &at_bound, &none(), Blocklist::builtin());
    assert!(
        analysed
            .checklist
            .iter()
            .all(|i| !i.params.contains_key("skipped"))
    );
    assert!(
        analysed
            .issues
            .iter()
            .any(|i| i.code == Code::PasswordRepetitive)
    );

    let over = format!("{at_bound}x\u{7}");
    let report = check_password_with(&policy, &over, &none(), Blocklist::builtin());
    assert!(!report.is_acceptable());
    assert_eq!(report.score, 0);
    let issues: Vec<_> = report.issues.iter().map(|i| i.code).collect();
    assert_eq!(
        issues,
        [Code::PasswordTooLong, Code::PasswordInvalidCharacters]
    );
    assert_eq!(
        report.issues[0].params["actual"],
        serde_json::json!(MAX_PASSWORD_BYTES + 2)
    );
    let items: Vec<_> = report
        .checklist
        .iter()
        .map(|i| (i.code, i.met, i.params.contains_key("skipped")))
        .collect();
    assert_eq!(
        items,
        [
            (Code::PasswordTooShort, true, false),
            (Code::PasswordTooLong, false, false),
            (Code::PasswordMissingUpper, false, true),
            (Code::PasswordMissingLower, false, true),
            (Code::PasswordMissingDigit, false, true),
            (Code::PasswordMissingSpecial, false, true),
            (Code::PasswordCommon, false, true),
            (Code::PasswordSimilar, false, true),
            (Code::PasswordRepetitive, false, true),
            (Code::PasswordInvalidCharacters, false, false),
        ]
    );
    // Even the largest maximum a policy may set is far below the bound.
    let widest = PasswordPolicy {
        max_length: Some(MAX_LENGTH_LIMIT),
        ..PasswordPolicy::default()
    }
    .resolve()
    .unwrap();
    let plain = "b".repeat(MAX_PASSWORD_BYTES + 1);
    let codes = codes(&widest, &plain, &none());
    assert_eq!(codes, [Code::PasswordTooLong]);
}
