;; A plugin exporting the right interface name with the wrong function types.
(component
  (core module $m (func (export "f")))
  (core instance $i (instantiate $m))
  (func $f (canon lift (core func $i "f")))
  (instance $hooks (export "describe" (func $f)))
  (export "warden:policy/hooks@0.1.0" (instance $hooks))
)
