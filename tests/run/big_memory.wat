;; Starts with 100 pages (6.25 MiB) of memory: more than --max-memory 1MiB.
(module
  (memory (export "memory") 100)
  (func (export "_start")))
