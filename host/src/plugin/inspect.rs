//! The structural scan of a component, before wasmtime translates or compiles it.
//!
//! One linear pass of `wasmparser` (the version wasmtime 48 uses) over the binary counts
//! what makes translation and compilation expensive: nesting depth, functions, function
//! body sizes, the locals they declare, types, core instances, memories and tables, and
//! the component instances and canonical functions as wasmtime inlines them (a nested
//! component instantiated `k` times is translated `k` times). The scan stops at the first
//! count above its limit, so a hostile binary costs at most one read of its bytes; the
//! result is a typed [`LoadError::Structure`] naming the limit and its configured value.

use wasmparser::{ComponentInstance, Instance, Parser, Payload};

use super::error::{LoadError, MALFORMED_BINARY, MALFORMED_CORE_MODULE};
use super::limits::Limits;

/// What the scan counted: a component's structure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Structure {
    /// Deepest nesting of components and modules (the outer component is 1).
    pub nesting: u32,
    /// Core functions defined, all modules together.
    pub functions: u32,
    /// Largest function body, in bytes.
    pub largest_function: u32,
    /// Bytes of code, all function bodies together.
    pub code_bytes: u64,
    /// Type definitions, core and component, all levels together.
    pub types: u32,
    /// Core instances created by instantiating a module.
    pub core_instances: u32,
    /// Linear memories defined by the modules (each module counted once).
    pub memories: u32,
    /// Tables defined by the modules (each module counted once).
    pub tables: u32,
    /// The largest initial size a module declares for a linear memory, in bytes.
    pub largest_memory: u64,
    /// The largest initial size a module declares for a table, in elements.
    pub largest_table: u64,
    /// Locals declared by the functions, all modules together.
    pub locals: u64,
    /// Component instances created by instantiating a component, as wasmtime inlines them:
    /// an instance of a component counts with every instance it creates, at each
    /// instantiation.
    pub component_instances: u64,
    /// Canonical functions (`canon lift`, `canon lower`, resource intrinsics), each counted
    /// once per instance of the component defining it (wasmtime compiles a trampoline for
    /// each).
    pub canonical_functions: u64,
}

impl Structure {
    /// Checks the counts against `limits`: the check the scan does as it goes, repeated
    /// for a compilation found in the cache under another tenant's limits.
    ///
    /// # Errors
    /// [`LoadError::Structure`] for the first count above its limit.
    pub fn check(&self, limits: &Limits) -> Result<(), LoadError> {
        let all: [(&'static str, u64, u32); 7] = [
            ("maxNesting", self.nesting.into(), limits.max_nesting),
            ("maxFunctions", self.functions.into(), limits.max_functions),
            (
                "maxFunctionBytes",
                self.largest_function.into(),
                limits.max_function_bytes,
            ),
            ("maxTypes", self.types.into(), limits.max_types),
            (
                "maxCoreInstances",
                self.core_instances.into(),
                limits.max_core_instances,
            ),
            ("maxMemories", self.memories.into(), limits.max_memories),
            ("maxTables", self.tables.into(), limits.max_tables),
        ];
        for (limit, found, max) in all {
            exceeds(limit, found, max)?;
        }
        exceeds("locals", self.locals, MAX_LOCALS)?;
        exceeds(
            "componentInstances",
            self.component_instances,
            MAX_COMPONENT_INSTANCES,
        )?;
        exceeds(
            "canonicalFunctions",
            self.canonical_functions,
            MAX_CANONICAL_FUNCTIONS,
        )?;
        initial_sizes(self.largest_memory, self.largest_table, limits)
    }
}

/// Most locals a component's functions may declare, all together: 1,000,000. A local
/// costs a few bytes of the binary (a function declares them as counted runs) and about a
/// third of a microsecond of compilation: unbounded, a 130 KB module whose 9,990 empty
/// functions declared 50,000 locals each compiled for 172 s.
pub const MAX_LOCALS: u32 = 1_000_000;

/// Most component instances a plugin may create, counted as wasmtime inlines them: 64. A
/// component instantiated `k` times inside one instantiated `k` times is translated `k²`
/// times: counted only as written, a few hundred bytes of instantiations nested three
/// levels deep would be translated millions of times before any limit of the instance
/// pool is checked. So that the count is sound, a component can instantiate only the
/// components it defines: one imported (`componentImports`) or aliased from an enclosing
/// component or out of an instance (`componentAliases`) is refused by the scan.
pub const MAX_COMPONENT_INSTANCES: u32 = 64;

/// Most canonical functions a plugin may have, counted once per instance of the component
/// defining them (see [`MAX_COMPONENT_INSTANCES`]): 10,000. Each is a trampoline wasmtime
/// compiles; a plugin built by `cargo component` has a few dozen.
pub const MAX_CANONICAL_FUNCTIONS: u32 = 10_000;

/// One component or core module being scanned: what its nested components cost when
/// instantiated.
#[derive(Default)]
struct Frame {
    /// A component (not a core module).
    component: bool,
    /// The component instances it creates, its instances' own included.
    instances: u64,
    /// Its canonical functions, its instances' included.
    canonical: u64,
    /// What instantiating a component it can name costs at most: the costliest component
    /// defined so far by it, by a component it defined, or by an enclosing component.
    /// Conservative: any instantiation counts at that cost. (The scan refuses the aliases
    /// and imports that would let it name those others; counting them too is a second
    /// line.)
    costliest: (u64, u64),
}

impl Frame {
    /// Counts one instantiation of a component at the cost of the costliest one it may
    /// name ([`Frame::costliest`]).
    fn instantiate(&mut self) {
        let (instances, canonical) = self.costliest;
        self.instances = self.instances.saturating_add(1).saturating_add(instances);
        self.canonical = self.canonical.saturating_add(canonical);
    }

    /// The frame's counts checked against the caps, and recorded in `s` as the largest
    /// seen.
    fn check(&self, s: &mut Structure) -> Result<(), LoadError> {
        s.component_instances = s.component_instances.max(self.instances);
        s.canonical_functions = s.canonical_functions.max(self.canonical);
        exceeds(
            "componentInstances",
            self.instances,
            MAX_COMPONENT_INSTANCES,
        )?;
        exceeds(
            "canonicalFunctions",
            self.canonical,
            MAX_CANONICAL_FUNCTIONS,
        )
    }
}

/// Most elements a plugin's table may hold, declared or grown: 20,000 (what each table
/// slot of the instance pool holds).
pub const MAX_TABLE_ELEMENTS: u32 = 20_000;

/// A memory declared larger than the memory limit, or a table larger than
/// [`MAX_TABLE_ELEMENTS`], could never be instantiated: refused by the scan, naming the
/// limit (`memoryBytes`, `tableElements`), not left to fail as an untranslatable
/// component.
fn initial_sizes(memory: u64, table: u64, limits: &Limits) -> Result<(), LoadError> {
    let memory_limit = u64::try_from(limits.memory_bytes).unwrap_or(u64::MAX);
    if memory > memory_limit {
        return Err(LoadError::Structure {
            limit: "memoryBytes",
            found: memory,
            max: memory_limit,
        });
    }
    exceeds("tableElements", table, MAX_TABLE_ELEMENTS)
}

fn exceeds(limit: &'static str, found: u64, max: u32) -> Result<(), LoadError> {
    if found > u64::from(max) {
        return Err(LoadError::Structure {
            limit,
            found,
            max: u64::from(max),
        });
    }
    Ok(())
}

/// The parser's message quotes names the component chose: only its offset is kept.
fn malformed(e: &wasmparser::BinaryReaderError) -> LoadError {
    LoadError::Malformed {
        reason: MALFORMED_BINARY,
        offset: Some(e.offset()),
    }
}

/// Scans `bytes` and checks every count against `limits` as it goes.
///
/// # Errors
/// [`LoadError::Structure`] for the first count above its limit,
/// [`LoadError::Malformed`] when the binary cannot be parsed (or is a core module).
pub fn scan(bytes: &[u8], limits: &Limits) -> Result<Structure, LoadError> {
    let mut s = Structure::default();
    let mut depth: u32 = 0;
    let mut first = true;
    // The components and modules open, outermost first (depth frames).
    let mut frames: Vec<Frame> = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(|e| malformed(&e))?;
        match payload {
            Payload::Version { encoding, .. } => {
                if first && encoding != wasmparser::Encoding::Component {
                    return Err(LoadError::Malformed {
                        reason: MALFORMED_CORE_MODULE,
                        offset: None,
                    });
                }
                first = false;
                depth = depth.saturating_add(1);
                s.nesting = s.nesting.max(depth);
                exceeds("maxNesting", depth.into(), limits.max_nesting)?;
                // A nested component may name (by an outer alias) any component its
                // enclosing ones defined before it: it starts with their costliest.
                let inherited = frames.last().map_or((0, 0), |f| f.costliest);
                frames.push(Frame {
                    component: encoding == wasmparser::Encoding::Component,
                    costliest: inherited,
                    ..Frame::default()
                });
            }
            Payload::End(_) => {
                depth = depth.saturating_sub(1);
                if let (Some(done), Some(parent)) = (frames.pop(), frames.last_mut())
                    && done.component
                {
                    // The component itself, and any it defined (its instances may export
                    // one, which the parent can alias and instantiate).
                    parent.costliest = (
                        parent.costliest.0.max(done.instances).max(done.costliest.0),
                        parent.costliest.1.max(done.canonical).max(done.costliest.1),
                    );
                }
            }
            Payload::ComponentInstanceSection(r) => {
                let Some(frame) = frames.last_mut() else {
                    continue;
                };
                for instance in r {
                    if let ComponentInstance::Instantiate { .. } =
                        instance.map_err(|e| malformed(&e))?
                    {
                        frame.instantiate();
                        frame.check(&mut s)?;
                    }
                }
            }
            // wasmtime inlines a component given to another (imported, aliased from an
            // enclosing component or out of an instance) at each instantiation of the one it
            // is given to: a chain of them multiplies past any count made here. A plugin
            // built by `cargo component` has none: refused.
            Payload::ComponentImportSection(r) => {
                for import in r {
                    let import = import.map_err(|e| malformed(&e))?;
                    if matches!(import.ty, wasmparser::ComponentTypeRef::Component(_)) {
                        exceeds("componentImports", 1, 0)?;
                    }
                }
            }
            Payload::ComponentAliasSection(r) => {
                for alias in r {
                    let given = matches!(
                        alias.map_err(|e| malformed(&e))?,
                        wasmparser::ComponentAlias::InstanceExport {
                            kind: wasmparser::ComponentExternalKind::Component,
                            ..
                        } | wasmparser::ComponentAlias::Outer {
                            kind: wasmparser::ComponentOuterAliasKind::Component,
                            ..
                        }
                    );
                    if given {
                        exceeds("componentAliases", 1, 0)?;
                    }
                }
            }
            Payload::ComponentCanonicalSection(r) => {
                if let Some(frame) = frames.last_mut() {
                    frame.canonical = frame.canonical.saturating_add(u64::from(r.count()));
                    frame.check(&mut s)?;
                }
            }
            Payload::FunctionSection(r) => {
                s.functions = s.functions.saturating_add(r.count());
                exceeds("maxFunctions", s.functions.into(), limits.max_functions)?;
            }
            Payload::CodeSectionStart { count, .. } => {
                // The declared count, before reading any body.
                exceeds("maxFunctions", u64::from(count), limits.max_functions)?;
            }
            Payload::CodeSectionEntry(body) => {
                let len = u32::try_from(body.range().len()).unwrap_or(u32::MAX);
                s.largest_function = s.largest_function.max(len);
                s.code_bytes = s.code_bytes.saturating_add(u64::from(len));
                exceeds("maxFunctionBytes", len.into(), limits.max_function_bytes)?;
                let mut locals = body.get_locals_reader().map_err(|e| malformed(&e))?;
                for _ in 0..locals.get_count() {
                    let (n, _) = locals.read().map_err(|e| malformed(&e))?;
                    s.locals = s.locals.saturating_add(u64::from(n));
                    exceeds("locals", s.locals, MAX_LOCALS)?;
                }
            }
            Payload::TypeSection(r) => add_types(&mut s, r.count(), limits)?,
            Payload::CoreTypeSection(r) => add_types(&mut s, r.count(), limits)?,
            Payload::ComponentTypeSection(r) => add_types(&mut s, r.count(), limits)?,
            Payload::InstanceSection(r) => {
                for instance in r {
                    if let Instance::Instantiate { .. } = instance.map_err(|e| malformed(&e))? {
                        s.core_instances = s.core_instances.saturating_add(1);
                        exceeds(
                            "maxCoreInstances",
                            s.core_instances.into(),
                            limits.max_core_instances,
                        )?;
                    }
                }
            }
            Payload::MemorySection(r) => {
                s.memories = s.memories.saturating_add(r.count());
                exceeds("maxMemories", s.memories.into(), limits.max_memories)?;
                for memory in r {
                    let m = memory.map_err(|e| malformed(&e))?;
                    let page = m.page_size_log2.unwrap_or(16).min(63);
                    let bytes = m.initial.saturating_mul(1u64 << page);
                    s.largest_memory = s.largest_memory.max(bytes);
                }
                initial_sizes(s.largest_memory, s.largest_table, limits)?;
            }
            Payload::TableSection(r) => {
                s.tables = s.tables.saturating_add(r.count());
                exceeds("maxTables", s.tables.into(), limits.max_tables)?;
                for table in r {
                    let t = table.map_err(|e| malformed(&e))?;
                    s.largest_table = s.largest_table.max(t.ty.initial);
                }
                initial_sizes(s.largest_memory, s.largest_table, limits)?;
            }
            _ => {}
        }
    }
    Ok(s)
}

fn add_types(s: &mut Structure, n: u32, limits: &Limits) -> Result<(), LoadError> {
    s.types = s.types.saturating_add(n);
    exceeds("maxTypes", s.types.into(), limits.max_types)
}
