//! Warden's core as a component (`warden:policy/evaluate@0.1.0`), run by the same
//! [`Runtime`] as plugins, under limits.

use std::sync::Arc;

use serde_json::Value;

use super::admission::Party;
use super::core_bindings::CorePre;
use super::error::{CoreComponentError, Fault, LoadError};
use super::limits::Limits;
use super::runtime::{Phase, Runtime, StoreData};
use super::text::interface_name;
use super::{ContentHash, SUPPORTED_VERSIONS};

/// The core component, compiled and linked once; every [`evaluate`](Self::evaluate) runs
/// in a fresh instance.
///
/// Build it with `scripts/build-components.sh` (`target/components/warden_core.wasm`). It
/// imports nothing: a component with any import is refused.
pub struct CoreComponent {
    runtime: Arc<Runtime>,
    pre: CorePre<StoreData>,
    limits: Limits,
    hash: ContentHash,
}

impl std::fmt::Debug for CoreComponent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoreComponent")
            .field("hash", &self.hash.to_string())
            .finish_non_exhaustive()
    }
}

impl CoreComponent {
    /// The limits of the core component by default: the hard caps (1e9 fuel, 256 MiB,
    /// 10 s), since the core is trusted code whose cost grows with the request (a policy
    /// is compiled on every call).
    pub const DEFAULT_LIMITS: Limits = Limits::CAPS;

    /// Compiles and links the core component.
    ///
    /// # Errors
    /// [`LoadError`] when the bytes are not a component, import anything, or do not export
    /// `warden:policy/evaluate@0.1.x`.
    pub fn load(runtime: Arc<Runtime>, bytes: &[u8], limits: Limits) -> Result<Self, LoadError> {
        limits.check()?;
        if bytes.len() > limits.max_module_bytes {
            return Err(LoadError::ModuleTooLarge {
                size: bytes.len(),
                limit: limits.max_module_bytes,
            });
        }
        let component = runtime.component(bytes)?;
        let ty = component.component_type();
        if let Some((name, _)) = ty.imports(runtime.engine()).next() {
            return Err(LoadError::ForbiddenImport {
                import: interface_name(name),
            });
        }
        let mut found = None;
        for (name, _) in ty.exports(runtime.engine()) {
            if let Some(v) = name.strip_prefix("warden:policy/evaluate@") {
                if v.strip_prefix(SUPPORTED_VERSIONS)
                    .is_some_and(|r| r.starts_with('.'))
                {
                    found = None;
                    break;
                }
                found = Some(interface_name(name));
            }
        }
        if let Some(found) = found {
            return Err(LoadError::UnsupportedVersion {
                found,
                supported: SUPPORTED_VERSIONS,
            });
        }
        let pre = runtime
            .core_linker()
            .instantiate_pre(&component)
            .and_then(CorePre::new)
            .map_err(|_| LoadError::Mismatch {
                reason: "the component's `warden:policy/evaluate` does not have the interface's types",
            })?;
        use sha2::Digest;
        let hash = ContentHash(sha2::Sha256::digest(bytes).into());
        Ok(CoreComponent {
            runtime,
            pre,
            limits,
            hash,
        })
    }

    /// The SHA-256 of the component.
    pub fn hash(&self) -> ContentHash {
        self.hash
    }

    /// Evaluates a request as `warden_core::api::evaluate` does: `Ok(decision)` or
    /// `Err(error JSON)` (`{"error": {...}}`), exactly the native core's values.
    ///
    /// # Errors
    /// [`CoreComponentError`] when the component itself fails (a limit, a trap, bad JSON).
    pub fn evaluate(&self, request: &Value) -> Result<Result<Value, Value>, CoreComponentError> {
        let text = request.to_string();
        if text.len() > self.limits.max_input_bytes {
            return Err(Fault::InputTooLarge {
                size: text.len(),
                limit: self.limits.max_input_bytes,
            }
            .into());
        }
        let _admitted = self.runtime.admit(&Party::Host, None)?;
        let (result, _) = self.runtime.with_store(&self.limits, |store| {
            let core = self
                .pre
                .instantiate(&mut *store)
                .map_err(|e| (Phase::Instantiate, e))?;
            core.warden_policy_evaluate()
                .call_evaluate(store, &text)
                .map_err(|e| (Phase::Call, e))
        });
        let out = result?;
        let size = match &out {
            Ok(s) | Err(s) => s.len(),
        };
        if size > self.limits.max_output_bytes {
            return Err(Fault::OutputTooLarge {
                size,
                limit: self.limits.max_output_bytes,
                what: "output",
            }
            .into());
        }
        let parse = |s: &str| {
            serde_json::from_str::<Value>(s).map_err(|e| CoreComponentError::InvalidJson {
                reason: e.to_string(),
            })
        };
        Ok(match out {
            Ok(s) => Ok(parse(&s)?),
            Err(s) => Err(parse(&s)?),
        })
    }
}
