//! Lays out the built-in common-password list (`data/common-passwords.txt`) at compile
//! time, with the crate's own code for it (`src/password/blocklist_layout.rs`): the list is
//! then static data, and no instance of the kernel (a wasm module's, in particular, whose
//! first password check paid about 72 million units of fuel to sort and hash it) builds it
//! at run time.

use std::fmt::Write as _;

#[allow(dead_code)]
#[path = "src/password/blocklist_layout.rs"]
mod blocklist_layout;

fn main() {
    println!("cargo::rerun-if-changed=data/common-passwords.txt");
    println!("cargo::rerun-if-changed=src/password/blocklist_layout.rs");
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());
    let text = match std::fs::read_to_string("data/common-passwords.txt") {
        Ok(t) => t,
        Err(e) => {
            println!("cargo::error=reading data/common-passwords.txt: {e}");
            return;
        }
    };
    // NFKC as the crate reads it (`unicode::nfkc`: ASCII is already in NFKC).
    let entries = blocklist_layout::entries(&text, |l| {
        use unicode_normalization::UnicodeNormalization;
        if l.is_ascii() {
            l.to_owned()
        } else {
            l.nfkc().collect()
        }
    });
    let l = blocklist_layout::layout(&entries);
    let mut rs = String::new();
    let _ = writeln!(rs, "static BUILTIN_TEXT: &str = {:?};", l.text);
    let _ = writeln!(
        rs,
        "static BUILTIN_STARTS: [u32; {}] = {:?};",
        l.starts.len(),
        l.starts
    );
    let _ = writeln!(
        rs,
        "static BUILTIN_TABLE: [u32; {}] = {:?};",
        l.table.len(),
        l.table
    );
    let _ = writeln!(rs, "const BUILTIN_MAX_LEN: usize = {};", l.max_len);
    if let Err(e) = std::fs::write(out.join("blocklist.rs"), rs) {
        println!("cargo::error=writing the laid-out blocklist: {e}");
    }
}
