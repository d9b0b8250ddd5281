//! Warden's native host: the `warden` command-line tool, and the operating-system services
//! the pure kernel ([`warden_core`]) deliberately lacks — the clock, the random number
//! generator, files and standard streams.
//!
//! The kernel decides; this crate only converts. Every decision printed by the CLI is the
//! JSON that [`warden_core::api::evaluate_with`] returns, byte for byte, so the CLI, the
//! wasm package and any other host give the same verdicts.
//!
//! ```
//! use warden_host::cli::{Env, Exit, run};
//! use warden_host::random::OsEntropy;
//!
//! let mut stdin: &[u8] = b"Violet-Kettle-42!x\n";
//! let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
//! let mut entropy = OsEntropy;
//! let mut env = Env {
//!     stdin: &mut stdin,
//!     stdout: &mut stdout,
//!     stderr: &mut stderr,
//!     today: warden_host::clock::today_utc(),
//!     entropy: &mut entropy,
//! };
//! let exit = run(["warden", "password", "check", "--preset", "crm"], &mut env);
//! assert_eq!(exit, Exit::Success);
//! let decision: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
//! assert_eq!(decision["valid"], true);
//! ```
//!
//! # Core concepts
//! - [`cli::run`] parses the arguments and runs one command against an [`cli::Env`]: the
//!   streams, today's date and a source of entropy, all supplied by the caller, so the
//!   whole CLI runs in-process in tests. `main` only builds the real `Env`.
//! - [`cli::Exit`] is the outcome: `0` valid or allowed, `1` violations or denied, `2` bad
//!   input or usage (with one line on standard error, prefixed `warden: `).
//! - [`random`] adapts the operating system's generator (`getrandom`) to the kernel's
//!   [`RandomSource`](warden_core::password::RandomSource) and supplies password salts.
//! - [`clock`] reads today's UTC date: the host may read the clock, the kernel may not.
//!
//! # Untrusted input
//! Input files and standard input are read up to [`cli::MAX_INPUT_BYTES`] (64 MiB), policy
//! files up to the kernel's [policy size limit](warden_core::policy::limits) (1 MiB) and a
//! password line up to [`cli::MAX_PASSWORD_LINE_BYTES`] (64 KiB); larger input is refused
//! with exit code 2. JSON nesting is bounded by `serde_json`'s recursion limit (128). No
//! input makes the CLI panic.

#[cfg(feature = "runtime")]
pub mod cli;
pub mod clock;
pub mod plugin;
pub mod random;
