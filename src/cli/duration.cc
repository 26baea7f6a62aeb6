#include "cli/duration.h"

#include <charconv>
#include <string>

#include "base/types.h"

namespace deja::cli {

Result<std::chrono::nanoseconds> ParseDuration(std::string_view text) {
  struct Unit {
    std::string_view suffix;
    double seconds;
  };
  // Longer suffixes first, so "ms" is not read as "s".
  constexpr Unit kUnits[] = {{"ms", 1e-3}, {"us", 1e-6}, {"s", 1}, {"m", 60}, {"h", 3600}};
  double scale = 1;
  std::string_view number = text;
  for (const Unit& unit : kUnits) {
    if (text.ends_with(unit.suffix)) {
      number = text.substr(0, text.size() - unit.suffix.size());
      scale = unit.seconds;
      break;
    }
  }
  double amount = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), amount);
  if (number.empty() || ec != std::errc() || end != number.data() + number.size() ||
      !(amount >= 0) || amount * scale > 1e9) {
    return Status::InvalidArgument("\"" + std::string(text) +
                                   "\" is not a duration (e.g. 500ms, 2s, 1m)");
  }
  return std::chrono::nanoseconds(static_cast<i64>(amount * scale * 1e9));
}

}  // namespace deja::cli
