//! `warden-componentize IN.wasm OUT.wasm`: wraps a core module built with `wit-bindgen`
//! (which embeds its WIT world in a custom section) into a WebAssembly component, validated,
//! with no imports beyond what the world declares. Used by `scripts/build-components.sh`,
//! so that building plugins needs no `wasm-tools` installation.

use std::process::ExitCode;

fn componentize(input: &str, output: &str) -> Result<usize, String> {
    let core = std::fs::read(input).map_err(|e| format!("cannot read `{input}`: {e}"))?;
    let component = wit_component::ComponentEncoder::default()
        .module(&core)
        .and_then(|enc| enc.validate(true).encode())
        .map_err(|e| format!("cannot componentize `{input}`: {e:#}"))?;
    std::fs::write(output, &component).map_err(|e| format!("cannot write `{output}`: {e}"))?;
    Ok(component.len())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        eprintln!("usage: warden-componentize IN.wasm OUT.wasm");
        return ExitCode::from(2);
    };
    match componentize(input, output) {
        Ok(n) => {
            println!("{output}: {n} bytes");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("warden-componentize: {e}");
            ExitCode::FAILURE
        }
    }
}
