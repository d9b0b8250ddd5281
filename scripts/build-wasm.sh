#!/usr/bin/env bash
# Builds the wasm package from the `warden-wasm` crate, in two flavours of the same code:
#   wasm/pkg/web/   ES module for browsers (`--target web`), also copied to www/pkg/:
#                   optimised for size (every byte is downloaded)
#   wasm/pkg/node/  CommonJS package for Node backends (`--target nodejs`): optimised for
#                   speed (bulk imports and batch checks; the module is read from disk once)
#   wasm/pkg/forms/ the forms build (crate `warden-wasm-forms`, `--target web`): validation,
#                   passwords, messages and the uniqueness-check protocol only, for size;
#                   also copied to www/pkg/forms/ (the console's user forms use it)
# Each gets the common-password list as a separate asset (common-passwords.txt); the forms
# build also gets the presets (presets.json) and the Unicode normalisation tables
# (unicode-tables.txt, core/data/, written from the compiled-in tables and checked by the
# core's tests) as assets.
#
# Uses the wasm-bindgen CLI whose version equals the `wasm-bindgen` crate in Cargo.lock,
# from $WASM_BINDGEN_ROOT (default $HOME/.cache/warden/wasm-bindgen-<version>, installed by
# .ci/run), and wasm-opt from the npm package `binaryen` (run `npm ci` first).
# Prints the raw and gzipped sizes of the browser .wasm and glue, and of the forms build's
# .wasm plus glue; warns over the 150 KB gz budget and fails over each hard ceiling.
set -euo pipefail
cd "$(dirname "$0")/.."

BUDGET_GZ=${WARDEN_WASM_BUDGET_GZ:-153600}   # the target: 150 KB gzipped
CEILING_GZ=${WARDEN_WASM_CEILING_GZ:-716800} # hard regression ceiling until the size work lands (see wasm/README.md)
# The forms build (wasm + glue, gzipped): the issue's 150 KB target, and a regression
# ceiling a little above what it measures today (wasm/README.md, section Size).
FORMS_BUDGET_GZ=${WARDEN_FORMS_BUDGET_GZ:-153600}
FORMS_CEILING_GZ=${WARDEN_FORMS_CEILING_GZ:-357376}
version=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p' | head -n1)
[ -n "$version" ] || { echo "wasm-bindgen not found in Cargo.lock" >&2; exit 1; }
root=${WASM_BINDGEN_ROOT:-$HOME/.cache/warden/wasm-bindgen-$version}
bindgen=$root/bin/wasm-bindgen
if [ ! -x "$bindgen" ] || [ "$("$bindgen" --version | awk '{print $2}')" != "$version" ]; then
  echo "wasm-bindgen $version not found at $bindgen: run .ci/run, or" >&2
  echo "  cargo install wasm-bindgen-cli --version $version --root $root" >&2
  exit 1
fi
wasm_opt=node_modules/.bin/wasm-opt
[ -x "$wasm_opt" ] || { echo "wasm-opt missing: run npm ci" >&2; exit 1; }
esbuild=node_modules/.bin/esbuild
[ -x "$esbuild" ] || { echo "esbuild missing: run npm ci" >&2; exit 1; }

# Two builds of the same crate, the same core code: the browser package is optimised for
# size (profile wasm-release, regex without its performance features, wasm-opt -Oz without
# inlining functions into their single caller, glue minified), the Node package for speed
# (profile wasm-node, feature perf, wasm-opt -O3, also without that inlining: see below).
# `-ocimfs 0` (--one-caller-inline-max-function-size): inlining each function used once into
# its caller makes the module smaller raw but larger gzipped, and gzipped bytes are what a
# browser downloads (measured: -4.5 KB gzipped, +1.3 KB raw; wasm-opt also runs twice as
# fast). The glue loses its white space and comments only (esbuild --minify-whitespace
# --minify-syntax, names kept): -3.2 KB gzipped. The declarations (.d.ts) are unchanged.
# The Node package takes `-ocimfs 0` too, for speed: inlining every function used once into
# its caller grew the validation function from about 26,700 to 33,600 lines of text format
# and the import loop from 7,800 to 10,900, and V8's optimising compiler makes slower code
# of them (measured in Node 20, the two packages interleaved: a 100,000-row CSV import
# 60-61 -> 43-44 ms, a batch CSV row 575 -> 402 ns all valid and 965 -> 802 ns at 50%
# invalid; the module without wasm-opt at all is as fast, and 270 KB larger raw).
target_dir=${CARGO_TARGET_DIR:-target}
build() { # target outdir raw-wasm wasm-opt-flags...
  rm -rf "$2"
  "$bindgen" "$3" --target "$1" --out-dir "$2" --remove-name-section --remove-producers-section
  local bg
  bg="$2/$(basename "$3" .wasm)_bg.wasm"
  "$wasm_opt" "${@:4}" --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$bg" -o "$bg"
  cp core/data/common-passwords.txt "$2/common-passwords.txt"
  cp core/data/NOTICE.md "$2/NOTICE-common-passwords.md"
}
web_package() {
  build web wasm/pkg/web "$target_dir/wasm32-unknown-unknown/wasm-release/warden_wasm.wasm" -Oz -ocimfs 0
  "$esbuild" wasm/pkg/web/warden_wasm.js --minify-whitespace --minify-syntax --format=esm \
    --log-level=warning --allow-overwrite --outfile=wasm/pkg/web/warden_wasm.js
}
node_package() {
  build nodejs wasm/pkg/node "$target_dir/wasm32-unknown-unknown/wasm-node/warden_wasm.wasm" -O3 -ocimfs 0
  # The crate's JS snippets (wasm/js/lazy.js: import reports decoded on first read;
  # wasm/js/text.js: JSON text written straight into wasm memory; wasm/js/record.js: a
  # validate input's fields read into wasm memory; wasm/js/decision.js: a validation
  # decision's object built from a compact form) are ES modules, as the web
  # build imports them; the Node build `require`s them, so their copies there become CommonJS
  # (each exporting the functions it declares with `export function`).
  local f names
  for f in wasm/pkg/node/snippets/*/js/*.js; do
    names=$(sed -n 's/^export function \([A-Za-z0-9_]*\).*/\1/p' "$f" | paste -sd, -)
    sed -i 's/^export function /function /' "$f"
    printf 'module.exports = { %s };\n' "$names" >> "$f"
  done
}
# The forms build: as the browser build, and the presets (written below) and the Unicode
# tables as assets.
forms_package() {
  build web wasm/pkg/forms "$target_dir/wasm32-unknown-unknown/wasm-release/warden_wasm_forms.wasm" -Oz -ocimfs 0
  cp core/data/unicode-tables.txt wasm/pkg/forms/unicode-tables.txt
  "$esbuild" wasm/pkg/forms/warden_wasm_forms.js --minify-whitespace --minify-syntax --format=esm \
    --log-level=warning --allow-overwrite --outfile=wasm/pkg/forms/warden_wasm_forms.js
}

# Each package's wasm-bindgen and wasm-opt (single-threaded, up to a minute for the Node
# package's -O3) run in the background while cargo builds the next package, whose one-unit
# LTO leaves a core idle for most of its link: about a minute and a half less on 2 cores.
echo "== cargo build (wasm32-unknown-unknown, profile wasm-release: the browser package)"
cargo build -p warden-wasm --lib --target wasm32-unknown-unknown --profile wasm-release
echo "== wasm-bindgen $version + wasm-opt -Oz -ocimfs 0: the browser package (in the background)"
web_package &
web_pid=$!
echo "== cargo build (wasm32-unknown-unknown, profile wasm-node, feature perf: the Node package)"
cargo build -p warden-wasm --lib --target wasm32-unknown-unknown --profile wasm-node --features perf
echo "== wasm-bindgen $version + wasm-opt -O3 -ocimfs 0: the Node package (in the background)"
node_package &
node_pid=$!
echo "== cargo build (wasm32-unknown-unknown, profile wasm-release, crate warden-wasm-forms: the forms package)"
cargo build -p warden-wasm-forms --lib --target wasm32-unknown-unknown --profile wasm-release
echo "== wasm-bindgen $version + wasm-opt -Oz -ocimfs 0: the forms package"
forms_package
wait "$web_pid" || { echo "the browser package's wasm-bindgen or wasm-opt failed" >&2; exit 1; }
wait "$node_pid" || { echo "the Node package's wasm-bindgen or wasm-opt failed" >&2; exit 1; }
# One npm package, `warden-wasm` (wasm/pkg), with `exports` conditions: `browser` resolves
# to the web build (an ES module: `await init()` first), `node` to the Node build (CommonJS,
# ready on load; `import` works through Node's CommonJS interop), and the two flavours stay
# reachable by name (`warden-wasm/web`, `warden-wasm/node`). Each flavour's folder says its
# module system in a package.json of its own; only the top-level one names the package.
printf '{\n  "type": "commonjs"\n}\n' > wasm/pkg/node/package.json
printf '{\n  "type": "module"\n}\n' > wasm/pkg/web/package.json
printf '{\n  "type": "module"\n}\n' > wasm/pkg/forms/package.json
# The forms build's presets asset (`[{id, name, title, policy}]`), written by the full build
# itself, so that the two builds know the same documents.
node -e 'const w = require("./wasm/pkg/node/warden_wasm.js");
  const list = w.presets().map((p) => ({ ...p, policy: w.presetDocument(p.name) }));
  process.stdout.write(JSON.stringify(list) + "\n");' > wasm/pkg/forms/presets.json
node scripts/wasm-package.mjs "$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)" > wasm/pkg/package.json
# The Standard Schema adapter (plain JS over any build's `Warden#validate`), at the root of
# the package: `warden-wasm/standard-schema`.
cp wasm/js/standard-schema.mjs wasm/js/standard-schema.d.mts wasm/pkg/
# The console (www/): the web build for the list, access, lifecycle and import, and the
# forms build (www/pkg/forms/) for its user forms.
rm -rf www/pkg && cp -r wasm/pkg/web www/pkg && cp -r wasm/pkg/forms www/pkg/forms

wasm=wasm/pkg/web/warden_wasm_bg.wasm
size=$(wc -c < "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
glue_gz=$(gzip -9 -c wasm/pkg/web/warden_wasm.js | wc -c)
list_gz=$(gzip -9 -c core/data/common-passwords.txt | wc -c)
printf '== sizes: browser .wasm %d bytes raw (%d KB), %d bytes gzipped (%d KB); glue %d bytes gzipped; blocklist asset %d bytes gzipped\n' \
  "$size" $((size / 1024)) "$gz" $((gz / 1024)) "$glue_gz" "$list_gz"
if [ "$gz" -gt "$CEILING_GZ" ]; then
  echo "the browser .wasm is over its hard ceiling of $CEILING_GZ bytes gzipped" >&2
  exit 1
elif [ "$gz" -gt "$BUDGET_GZ" ]; then
  echo "WARNING: the browser .wasm is over its budget of $BUDGET_GZ bytes gzipped (see wasm/README.md, section Size)" >&2
fi

forms=wasm/pkg/forms/warden_wasm_forms_bg.wasm
forms_raw=$(wc -c < "$forms")
forms_gz=$(gzip -9 -c "$forms" | wc -c)
forms_glue_gz=$(gzip -9 -c wasm/pkg/forms/warden_wasm_forms.js | wc -c)
forms_total=$((forms_gz + forms_glue_gz))
presets_gz=$(gzip -9 -c wasm/pkg/forms/presets.json | wc -c)
tables_gz=$(gzip -9 -c wasm/pkg/forms/unicode-tables.txt | wc -c)
printf '== sizes: forms .wasm %d bytes raw, %d bytes gzipped; glue %d bytes gzipped; wasm + glue %d bytes gzipped (%d KB, budget %d KB); presets asset %d bytes gzipped; Unicode tables asset %d bytes gzipped\n' \
  "$forms_raw" "$forms_gz" "$forms_glue_gz" "$forms_total" $((forms_total / 1024)) $((FORMS_BUDGET_GZ / 1024)) "$presets_gz" "$tables_gz"
if [ "$forms_total" -gt "$FORMS_CEILING_GZ" ]; then
  echo "the forms build (wasm + glue) is over its hard ceiling of $FORMS_CEILING_GZ bytes gzipped" >&2
  exit 1
elif [ "$forms_total" -gt "$FORMS_BUDGET_GZ" ]; then
  echo "WARNING: the forms build (wasm + glue) is over its budget of $FORMS_BUDGET_GZ bytes gzipped, by $(((forms_total - FORMS_BUDGET_GZ) / 1024)) KB (see wasm/README.md, section Size)" >&2
fi
