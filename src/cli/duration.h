// Durations on the command line (--timeout): "500ms", "2s", "1.5m", "1h",
// or a plain number of seconds.
#pragma once

#include <chrono>
#include <string_view>

#include "deja/status.h"

namespace deja::cli {

// Errors: kInvalidArgument for anything else, negative, or over 1e9 seconds.
Result<std::chrono::nanoseconds> ParseDuration(std::string_view text);

}  // namespace deja::cli
