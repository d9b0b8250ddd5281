"""Evaluate a Warden request with the core component from Python (pip install wasmtime).

Usage: python3 component/python/evaluate.py [target/components/warden_core.wasm]
"""
import json, sys
from wasmtime import Config, Engine, Store
from wasmtime.component import Component, Linker

path = sys.argv[1] if len(sys.argv) > 1 else "target/components/warden_core.wasm"
config = Config(); config.consume_fuel = True
engine = Engine(config)
component = Component.from_file(engine, path)        # compile once, reuse
store = Store(engine); store.set_fuel(1_000_000_000)  # a fresh store per decision
instance = Linker(engine).instantiate(store, component)  # no imports at all
iface = instance.get_export_index(store, "warden:policy/evaluate@0.1.0")
evaluate = instance.get_func(store, instance.get_export_index(store, "evaluate", iface))
request = {"preset": "production-planner-pro", "op": "validate", "input": {
    "today": "2026-11-22", "user": {"firstName": "Ada", "lastName": "Lovelace",
    "email": "not-an-email", "password": "Tr0ub4dor&3x!", "organization": "acme"}}}
result = evaluate(store, json.dumps(request))  # Variant(tag="ok"|"err", payload=JSON text)
decision = json.loads(result.payload)
print(result.tag, decision["valid"], decision["violations"][0]["code"])  # ok False invalid_email
