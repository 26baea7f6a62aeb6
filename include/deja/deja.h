// The deja embedding API: compile a module, make a store, link host functions,
// instantiate, call exports, read and write guest memory, suspend and resume.
// See docs/embedding.md and examples/embed.cc.
#pragma once

#include "deja/module.h"
#include "deja/status.h"
#include "deja/store.h"
#include "deja/types.h"
