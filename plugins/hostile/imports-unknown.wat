;; A plugin that imports an unknown host function: refused at load, naming the import.
(component
  (import "steal-secrets" (func (result string)))
)
