#include "durable/instance_store.h"

#include <nlohmann/json.hpp>

namespace deja::durable {

namespace {
constexpr struct {
  State state;
  const char* name;
} kStates[] = {
    {State::kPending, "pending"}, {State::kRunning, "running"},     {State::kSleeping, "sleeping"},
    {State::kWaiting, "waiting"}, {State::kDone, "done"},           {State::kFailed, "failed"},
    {State::kCancelled, "cancelled"},
};
}  // namespace

const char* StateName(State state) {
  for (const auto& s : kStates) {
    if (s.state == state) return s.name;
  }
  return "unknown";
}

std::optional<State> ParseState(const std::string& name) {
  for (const auto& s : kStates) {
    if (name == s.name) return s.state;
  }
  return std::nullopt;
}

bool IsFinal(State state) {
  return state == State::kDone || state == State::kFailed || state == State::kCancelled;
}

std::string EncodeWait(const WaitCondition& wait) {
  nlohmann::json j = nlohmann::json::object();
  if (wait.until_ns) j["until"] = *wait.until_ns;
  if (!wait.signal.empty()) j["signal"] = wait.signal;
  if (!wait.children.empty()) {
    j["children"] = wait.children;
    j["all"] = wait.all_children;
  }
  return j.dump();
}

Result<WaitCondition> DecodeWait(const std::string& text) {
  WaitCondition wait;
  if (text.empty()) return wait;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Status::InvalidArgument("wait condition is not a JSON object: " + text);
  if (j.contains("until")) {
    if (!j["until"].is_number_integer()) return Status::InvalidArgument("wait condition: bad until");
    wait.until_ns = j["until"].get<int64_t>();
  }
  if (j.contains("signal")) {
    if (!j["signal"].is_string()) return Status::InvalidArgument("wait condition: bad signal");
    wait.signal = j["signal"].get<std::string>();
  }
  if (j.contains("children")) {
    if (!j["children"].is_array()) return Status::InvalidArgument("wait condition: bad children");
    for (const auto& c : j["children"]) {
      if (!c.is_string()) return Status::InvalidArgument("wait condition: bad child id");
      wait.children.push_back(c.get<std::string>());
    }
    wait.all_children = !j.contains("all") || (j["all"].is_boolean() && j["all"].get<bool>());
  }
  return wait;
}

}  // namespace deja::durable
