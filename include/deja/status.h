// Status and Result<T>: how deja reports failures a user can cause (malformed or
// invalid modules, failed links, I/O). Traps are not errors; see deja/store.h.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace deja {

class [[nodiscard]] Status {
 public:
  enum class Code : unsigned char {
    kOk,
    kMalformed,        // the bytes are not a module (binary or text format)
    kInvalid,          // the module breaks a validation rule
    kUnlinkable,       // an import is missing or has the wrong type
    kUninstantiable,   // instantiation trapped (segment out of bounds, start trapped)
    kUnsupported,      // a feature deja does not implement yet (e.g. simd)
    kNotFound,
    kInvalidArgument,  // bad flag, bad value given by the embedder or user
    kIoError,
    kCorruption,       // a saved state / log failed its checks
    kResourceExhausted,
    kInternal,
  };

  Status() = default;
  Status(Code code, std::string message);

  static Status Malformed(std::string m) { return {Code::kMalformed, std::move(m)}; }
  static Status Invalid(std::string m) { return {Code::kInvalid, std::move(m)}; }
  static Status Unlinkable(std::string m) { return {Code::kUnlinkable, std::move(m)}; }
  static Status Uninstantiable(std::string m) { return {Code::kUninstantiable, std::move(m)}; }
  static Status Unsupported(std::string m) { return {Code::kUnsupported, std::move(m)}; }
  static Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Status IoError(std::string m) { return {Code::kIoError, std::move(m)}; }
  static Status Corruption(std::string m) { return {Code::kCorruption, std::move(m)}; }
  static Status ResourceExhausted(std::string m) { return {Code::kResourceExhausted, std::move(m)}; }
  static Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }

  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

  bool ok() const { return rep_ == nullptr; }
  Code code() const { return rep_ ? rep_->code : Code::kOk; }
  std::string_view message() const { return rep_ ? std::string_view(rep_->message) : ""; }
  // "invalid: func 3 offset 0x1a2: type mismatch ..." ; "ok" on success.
  std::string ToString() const;
  // Returns a copy whose message is "<prefix>: <message>".
  Status WithContext(std::string_view prefix) const;

 private:
  struct Rep {
    Code code;
    std::string message;
  };
  std::unique_ptr<Rep> rep_;
};

std::string_view CodeName(Status::Code code);

// Either a T or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT; must not be OK

  bool ok() const { return v_.index() == 0; }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<1>(v_);
  }
  Status take_status() { return ok() ? Status() : std::move(std::get<1>(v_)); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace deja

#define DEJA_TRY(expr)                                      \
  do {                                                      \
    if (::deja::Status s_ = (expr); !s_.ok()) return s_;    \
  } while (0)

#define DEJA_CONCAT_INNER_(a, b) a##b
#define DEJA_CONCAT_(a, b) DEJA_CONCAT_INNER_(a, b)
#define DEJA_ASSIGN_OR_RETURN(lhs, expr) \
  DEJA_ASSIGN_OR_RETURN_IMPL_(DEJA_CONCAT_(result_, __LINE__), lhs, expr)
#define DEJA_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.take_status();          \
  lhs = std::move(tmp).value()
