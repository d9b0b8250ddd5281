;; A plugin that tries to import WASI (the environment): refused at load, naming the import.
(component
  (import "wasi:cli/environment@0.2.0" (instance $env
    (export "get-arguments" (func (result (list string))))))
)
