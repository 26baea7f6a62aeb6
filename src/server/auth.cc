#include "server/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <charconv>

namespace deja::server {
namespace {

constexpr std::string_view kTokenPrefix = "deja_";
constexpr size_t kSecretBytes = 32;

std::string Hex(const unsigned char* data, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 15]);
  }
  return out;
}

}  // namespace

bool Principal::Has(std::string_view scope) const {
  return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

bool IsScope(std::string_view scope) {
  return scope == kScopeAdmin || scope == kScopeDeploy || scope == kScopeInvoke || scope == kScopeRead;
}

Result<std::string> RandomSecretHex() {
  unsigned char bytes[kSecretBytes];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return Status::Internal("RAND_bytes failed: no entropy");
  return Hex(bytes, sizeof bytes);
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr);
  return Hex(digest, size);
}

std::string FormatToken(int64_t id, const std::string& secret_hex) {
  return std::string(kTokenPrefix) + std::to_string(id) + "_" + secret_hex;
}

Result<std::string> IssueToken(Store& store, std::optional<int64_t> tenant_id,
                               std::vector<std::string> scopes, std::optional<int64_t> expires_at,
                               std::string label) {
  DEJA_ASSIGN_OR_RETURN(std::string secret, RandomSecretHex());
  TokenRow row;
  row.tenant_id = tenant_id;
  row.secret_hash = Sha256Hex(secret);
  row.scopes = std::move(scopes);
  row.expires_at = expires_at;
  row.label = std::move(label);
  DEJA_ASSIGN_OR_RETURN(TokenRow stored, store.AddToken(std::move(row)));
  return FormatToken(stored.id, secret);
}

Result<Principal> Authenticate(Store& store, std::string_view authorization, int64_t now) {
  std::string_view text = authorization;
  if (text.substr(0, 7) == "Bearer " || text.substr(0, 7) == "bearer ") text.remove_prefix(7);
  const Status bad = Status::NotFound("not a valid token");
  if (text.substr(0, kTokenPrefix.size()) != kTokenPrefix) return bad;
  text.remove_prefix(kTokenPrefix.size());
  size_t underscore = text.find('_');
  if (underscore == std::string_view::npos) return bad;
  int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + underscore, id);
  if (ec != std::errc() || end != text.data() + underscore) return bad;
  std::string_view secret = text.substr(underscore + 1);
  if (secret.size() != kSecretBytes * 2) return bad;
  DEJA_ASSIGN_OR_RETURN(std::optional<TokenRow> row, store.GetToken(id));
  // Hash even when there is no such id, so both paths cost the same.
  std::string presented = Sha256Hex(secret);
  std::string stored = row ? row->secret_hash : std::string(presented.size(), '0');
  bool same = stored.size() == presented.size() &&
              CRYPTO_memcmp(stored.data(), presented.data(), presented.size()) == 0;
  if (!row || !same) return bad;
  if (row->revoked_at) return Status::NotFound("token " + std::to_string(id) + " was revoked");
  if (row->expires_at && *row->expires_at <= now) {
    return Status::NotFound("token " + std::to_string(id) + " has expired");
  }
  return Principal{row->id, row->tenant_id, row->scopes};
}

}  // namespace deja::server
