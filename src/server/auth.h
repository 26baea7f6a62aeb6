// API tokens: "deja_<id>_<secret>", where the secret is 32 random bytes
// (OpenSSL RAND_bytes) in hex. Only the secret's SHA-256 is stored; a
// presented token is found by its id and its hash compared in constant time,
// so neither the lookup nor the compare tells a guesser how close it came.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "deja/status.h"
#include "server/store.h"

namespace deja::server {

inline constexpr const char* kScopeAdmin = "admin";    // tenants and platform tokens
inline constexpr const char* kScopeDeploy = "deploy";  // upload, promote, roll back, check, tokens
inline constexpr const char* kScopeInvoke = "invoke";  // call a non-public function
inline constexpr const char* kScopeRead = "read";      // list functions, versions, invocations

// Who is calling, once a token checked out.
struct Principal {
  int64_t token_id = 0;
  std::optional<int64_t> tenant_id;  // none: a platform (admin) token
  std::vector<std::string> scopes;
  bool Has(std::string_view scope) const;
};

// Whether `scope` is one of the four names.
bool IsScope(std::string_view scope);

// A new token row (hash filled in) and its secret text, shown once.
struct NewToken {
  TokenRow row;
  std::string text;  // set after the row is stored (it contains the id)
};
Result<std::string> RandomSecretHex();  // 32 bytes from RAND_bytes, as hex
std::string Sha256Hex(std::string_view data);
std::string FormatToken(int64_t id, const std::string& secret_hex);

// Creates and stores a token for `tenant_id` with `scopes`, expiring at
// `expires_at` (Unix seconds) if given. Returns the token text.
Result<std::string> IssueToken(Store& store, std::optional<int64_t> tenant_id,
                               std::vector<std::string> scopes, std::optional<int64_t> expires_at,
                               std::string label);

// Checks "Bearer <token>" (or the bare token). kNotFound for anything that
// is not a live token: unknown, malformed, wrong secret, revoked or expired
// (the message says which of the last two, as the caller owns the token).
Result<Principal> Authenticate(Store& store, std::string_view authorization, int64_t now);

}  // namespace deja::server
