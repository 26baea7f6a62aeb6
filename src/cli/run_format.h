// Formatting recorded runs for people (`deja ls`, `deja describe`) and as
// JSON for tools.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "base/types.h"
#include "registry/registry.h"
#include "timemachine/record.h"

namespace deja::cli {

std::string FormatTime(i64 unix_ns);        // "2026-11-23 21:55:03" (local time)
std::string FormatDuration(u64 ns);         // "850us", "1.52s", "3m05s"
std::string FormatBytes(u64 bytes);         // "812 B", "12.3 KiB", "4.0 MiB"
// "exit 0", "exit 3", "trap", "out of fuel", "timed out", "failed", "killed", "running".
std::string FormatStatus(const registry::RunRow& row);

nlohmann::json RowJson(const registry::RunRow& row);
nlohmann::json InfoJson(const tm::RunInfo& info);
nlohmann::json EndJson(const tm::RunEnd& end);

}  // namespace deja::cli
