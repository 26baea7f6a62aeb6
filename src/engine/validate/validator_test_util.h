// Helpers for the validator's tests: text or hand-built binary modules run
// through DecodeModule and ValidateModule.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/types.h"
#include "deja/status.h"
#include "engine/decode/decoder.h"
#include "engine/validate/validator.h"
#include "text/wat.h"

namespace deja::engine::vtest {

inline Status ValidateBinary(const std::vector<u8>& wasm) {
  Result<Module> module = DecodeModule(wasm);
  if (!module.ok()) return module.take_status();
  return ValidateModule(*module);
}

inline Status ValidateWat(std::string_view wat) {
  Result<std::vector<u8>> wasm = text::WatToWasm(wat);
  if (!wasm.ok()) return wasm.take_status();
  return ValidateBinary(*wasm);
}

// A module with type 0 = [] -> [] and one function of that type whose body is
// `body` (local declarations, instructions and the final end).
inline std::vector<u8> OneFunctionModule(const std::vector<u8>& body) {
  auto leb = [](std::vector<u8>* out, u64 v) {
    do {
      u8 b = v & 0x7f;
      v >>= 7;
      out->push_back(v ? (b | 0x80) : b);
    } while (v);
  };
  std::vector<u8> m = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  for (u8 b : {0x01, 0x04, 0x01, 0x60, 0x00, 0x00}) m.push_back(b);  // type section
  for (u8 b : {0x03, 0x02, 0x01, 0x00}) m.push_back(b);              // function section
  std::vector<u8> entry;
  leb(&entry, body.size());
  entry.insert(entry.end(), body.begin(), body.end());
  m.push_back(0x0a);  // code section
  leb(&m, entry.size() + 1);
  m.push_back(0x01);
  m.insert(m.end(), entry.begin(), entry.end());
  return m;
}

// Success if `status` is kInvalid and its message contains `reason`.
inline ::testing::AssertionResult IsInvalid(const Status& status, std::string_view reason) {
  if (status.code() == Status::Code::kInvalid &&
      status.message().find(reason) != std::string_view::npos) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "expected invalid \"" << reason << "\", got " << status.ToString();
}

inline ::testing::AssertionResult IsValid(const Status& status) {
  if (status.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << status.ToString();
}

}  // namespace deja::engine::vtest
