//! The `warden` command-line tool; everything but the real streams lives in
//! [`warden_host::cli`].

use std::io::{BufWriter, Write};
use std::process::ExitCode;

use warden_host::cli::{Env, run};
use warden_host::clock::today_utc;
use warden_host::random::OsEntropy;

fn main() -> ExitCode {
    let stdin = std::io::stdin();
    let mut stdin = stdin.lock();
    let mut stdout = BufWriter::new(std::io::stdout().lock());
    let mut stderr = std::io::stderr().lock();
    let mut entropy = OsEntropy;
    let mut env = Env {
        stdin: &mut stdin,
        stdout: &mut stdout,
        stderr: &mut stderr,
        today: today_utc(),
        entropy: &mut entropy,
    };
    let exit = run(std::env::args_os(), &mut env);
    if let Err(e) = stdout.flush() {
        let _ = writeln!(std::io::stderr(), "warden: cannot write the output: {e}");
        return ExitCode::from(2);
    }
    exit.into()
}
