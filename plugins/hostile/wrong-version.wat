;; A plugin built for an interface version this host does not know (9.0.0).
(component
  (core module $m (func (export "f")))
  (core instance $i (instantiate $m))
  (func $f (canon lift (core func $i "f")))
  (instance $hooks (export "describe" (func $f)))
  (export "warden:policy/hooks@9.0.0" (instance $hooks))
)
