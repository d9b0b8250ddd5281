//! `warden plugin check|run`, and the `--plugin FILE` option of the decision commands:
//! the local face of the plugin host ([`crate::plugin`]), with exactly the production
//! limits.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::error::CliError;
use super::input::read_json;
use super::{Env, Exit, Output};
use crate::plugin::{Limits, LoadError, PluginSpec, Registry, Runtime, TenantSettings};

/// The arguments of `warden plugin`.
#[derive(Debug, Clone, Args)]
pub struct PluginArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: PluginCommand,
}

/// A `warden plugin` subcommand.
#[derive(Debug, Clone, Subcommand)]
pub enum PluginCommand {
    /// Check a plugin component: its interface version, imports, size, structure (the
    /// counts the host limits: nesting, functions, largest function, types, instances,
    /// memories, tables), name and version.
    ///
    /// Prints `{"ok": true, "name", "version", "hash", "interface", "size", "structure", ...}`, exit 0;
    /// or `{"ok": false, "error": {"code", "message"}}`, exit 1, for a component the host
    /// would refuse (forbidden import, unknown interface version, too large, malformed).
    Check {
        /// The component (`.wasm`, or `.wat` text).
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Run a plugin locally on one request, with exactly the production limits, and report
    /// fuel, peak memory and output size.
    ///
    /// The tenant configuration is a JSON file `{"config": <the plugin's configuration>,
    /// "limits"?: {...}, "failurePolicy"?: {...}, "breakerThreshold"?: N}`. INPUT is a
    /// request (`{"preset"|"policy", "op", "input", "pluginFacts"?}`). Prints the composed
    /// decision with its `plugins` report; exit 0 valid or allowed, 1 otherwise.
    Run {
        /// The component.
        #[arg(long, value_name = "FILE")]
        plugin: PathBuf,
        /// The tenant's configuration of the plugin and its settings (JSON).
        #[arg(long, value_name = "FILE")]
        tenant_config: PathBuf,
        /// The request, a JSON file or `-` for standard input.
        #[arg(value_name = "INPUT", default_value = "-")]
        input: PathBuf,
    },
}

fn read_component(path: &Path) -> Result<Vec<u8>, CliError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| CliError::new(format!("cannot read `{}`: {e}", path.display())))?;
    let cap = Limits::CAPS.max_module_bytes;
    if usize::try_from(meta.len()).unwrap_or(usize::MAX) > cap {
        return Err(CliError::new(format!(
            "`{}` is {} bytes, above the module size cap of {cap} bytes",
            path.display(),
            meta.len()
        )));
    }
    // Read through the cap too: a device or a pipe (`/dev/zero`) reports no length.
    let cannot =
        |e: std::io::Error| CliError::new(format!("cannot read `{}`: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(
            file,
            u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1),
        ),
        &mut bytes,
    )
    .map_err(cannot)?;
    if bytes.len() > cap {
        return Err(CliError::new(format!(
            "`{}` is larger than the module size cap of {cap} bytes",
            path.display()
        )));
    }
    Ok(bytes)
}

fn runtime() -> Result<Arc<Runtime>, CliError> {
    Runtime::new().map_err(|e| CliError::new(e.to_string()))
}

fn load_error(e: &LoadError) -> Value {
    json!({"ok": false, "error": {"code": e.code(), "message": e.to_string()}})
}

/// Runs `warden plugin ...`.
pub(crate) fn execute(args: &PluginArgs, env: &mut Env<'_>) -> Result<(Output, Exit), CliError> {
    match &args.command {
        PluginCommand::Check { file } => {
            let bytes = read_component(file)?;
            let rt = runtime()?;
            match rt.compile(&bytes, &Limits::default()) {
                Ok(p) => Ok((
                    Output::Json(json!({
                        "ok": true,
                        "name": p.name(),
                        "version": p.version(),
                        "hash": p.hash().to_string(),
                        "interface": p.interface(),
                        "size": p.size(),
                        "maxSize": Limits::default().max_module_bytes,
                        "structure": p.structure(),
                        "imports": "only warden:policy/logging",
                    })),
                    Exit::Success,
                )),
                Err(e) => Ok((Output::Json(load_error(&e)), Exit::Failure)),
            }
        }
        PluginCommand::Run {
            plugin,
            tenant_config,
            input,
        } => {
            let mut tc = read_json(tenant_config, env.stdin)?;
            let config = match &mut tc {
                Value::Object(m) => m.remove("config").unwrap_or_else(|| json!({})),
                _ => {
                    return Err(CliError::new(
                        "the tenant configuration must be a JSON object",
                    ));
                }
            };
            let settings: TenantSettings = serde_json::from_value(tc)
                .map_err(|e| CliError::new(format!("invalid tenant configuration: {e}")))?;
            let request = read_json(input, env.stdin)?;
            let spec = PluginSpec {
                wasm: read_component(plugin)?,
                config,
            };
            decide(&request, settings, vec![spec])
        }
    }
}

/// The plugins of one command: one runtime and one registry, the plugins compiled once,
/// then any number of decisions (every record of a `validate` array, say), each reusing
/// the compiled plugins and the tenant's compiled policy.
pub(crate) struct Session {
    registry: Registry,
}

impl Session {
    /// Loads the plugin files, each given `config` as its tenant configuration, with the
    /// default limits and failure policy.
    ///
    /// # Errors
    /// A plugin that cannot be read or loaded.
    pub(crate) fn load(files: &[PathBuf], config: &Value) -> Result<Self, CliError> {
        let specs = files
            .iter()
            .map(|f| {
                Ok(PluginSpec {
                    wasm: read_component(f)?,
                    config: config.clone(),
                })
            })
            .collect::<Result<Vec<_>, CliError>>()?;
        let registry = Registry::new(runtime()?);
        registry
            .load("local", TenantSettings::default(), specs)
            .map_err(|e| {
                // The plugin at fault, by the file the command was given.
                match e.position().and_then(|i| files.get(i)) {
                    Some(file) => CliError::new(format!(
                        "cannot load the plugin `{}`: {}",
                        file.display(),
                        e.cause()
                    )),
                    None => CliError::new(format!("cannot load the plugins: {e}")),
                }
            })?;
        Ok(Session { registry })
    }

    /// Decides one request with the loaded plugins.
    ///
    /// # Errors
    /// A request the core refuses.
    pub(crate) fn decide(&self, request: &Value) -> Result<Value, CliError> {
        self.registry
            .evaluate("local", request)
            .map_err(|e| CliError::new(e.to_string()))
    }
}

/// Decides one request with plugins loaded from files (the `--plugin` option of
/// `authorize`, `transition` and the other single-request operations).
///
/// # Errors
/// A plugin that cannot be read or loaded, or a request the core refuses.
pub(crate) fn plugin_decision(
    request: &Value,
    files: &[PathBuf],
    config: &Value,
) -> Result<Value, CliError> {
    Session::load(files, config)?.decide(request)
}

fn decide(
    request: &Value,
    settings: TenantSettings,
    specs: Vec<PluginSpec>,
) -> Result<(Output, Exit), CliError> {
    let registry = Registry::new(runtime()?);
    // One plugin (`warden plugin run`): what is wrong with it, without its position.
    registry
        .load("local", settings, specs)
        .map_err(|e| CliError::new(format!("cannot load the plugin: {}", e.cause())))?;
    let decision = registry
        .evaluate("local", request)
        .map_err(|e| CliError::new(e.to_string()))?;
    let op = request
        .get("op")
        .cloned()
        .and_then(|o| serde_json::from_value::<warden_core::api::Op>(o).ok())
        .ok_or_else(|| CliError::new("the request names no operation"))?;
    let ok = super::ops::verdict(op, &decision)?;
    Ok((
        Output::Json(decision),
        if ok { Exit::Success } else { Exit::Failure },
    ))
}

/// The tenant configuration of `--plugin-config FILE` (default `{}`).
pub(crate) fn config_of(
    path: Option<&Path>,
    stdin: &mut dyn std::io::BufRead,
) -> Result<Value, CliError> {
    match path {
        None => Ok(json!({})),
        Some(p) => {
            let v = read_json(p, stdin)?;
            if v.is_object() {
                Ok(v)
            } else {
                Err(CliError::new(
                    "the plugin configuration must be a JSON object",
                ))
            }
        }
    }
}

/// The full request the plugin registry decides: the policy document, the operation, the
/// language and the input. The document is the loaded one re-serialised, so its content
/// hash (computed over the canonical form) is unchanged.
pub(crate) fn request_for(
    policy: &warden_core::Policy,
    op: warden_core::api::Op,
    lang: warden_core::Lang,
    input: Value,
) -> Result<Value, CliError> {
    let doc = serde_json::to_value(policy.document())
        .map_err(|e| CliError::new(format!("cannot serialise the policy: {e}")))?;
    Ok(json!({ "policy": doc, "op": op, "lang": lang, "input": input }))
}
