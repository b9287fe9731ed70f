#include "server/acl.h"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include "common/glob.h"
#include "server/errors.h"

namespace crescent::server::acl {

bool AuthRequired(const config::Config& config) {
  return config.Int(config::OptionId::kRequirePass) > 0 || !config.users().empty();
}

AuthResult Authenticate(const config::Config& config, std::string_view user,
                        std::string_view password, bool user_given,
                        const config::UserSpec** out) {
  *out = nullptr;
  if (user == "default") {
    std::string expected = config.String(config::OptionId::kRequirePass);
    if (expected.empty()) {
      if (!config.users().empty()) return AuthResult::kWrongPass;  // disabled
      return user_given ? AuthResult::kOk : AuthResult::kNoPasswordConfigured;
    }
    // Compare digests, so that the time taken says nothing about the password.
    auto a = config::Sha256(expected), b = config::Sha256(password);
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0 ? AuthResult::kOk
                                                           : AuthResult::kWrongPass;
  }
  auto digest = config::Sha256(password);
  for (const config::UserSpec& spec : config.users()) {
    if (spec.name != user) continue;
    if (CRYPTO_memcmp(spec.password_sha256.data(), digest.data(), digest.size()) != 0) break;
    *out = &spec;
    return AuthResult::kOk;
  }
  return AuthResult::kWrongPass;
}

std::string Check(const config::UserSpec* user, const CommandSpec& spec,
                  std::string_view full_name, std::span<const std::string_view> args) {
  if (user == nullptr) return {};
  uint32_t needed = 0;
  if (spec.flags & kCmdRead) needed |= config::kCategoryRead;
  if (spec.flags & kCmdWrite) needed |= config::kCategoryWrite;
  if (spec.flags & kCmdAdmin) needed |= config::kCategoryAdmin;
  if ((user->categories & needed) != needed) {
    return errors::NoPermCommand(full_name);
  }
  if (user->key_patterns.empty() || needed == 0) return {};
  if (spec.first_key == 0) {
    // Reaches keys it does not name: only for users with no key restriction.
    return errors::NoPermCommand(full_name);
  }
  int last = spec.last_key < 0 ? static_cast<int>(args.size()) + spec.last_key : spec.last_key;
  for (int i = spec.first_key; i <= last && i < static_cast<int>(args.size()); i += spec.key_step) {
    bool allowed = false;
    for (const auto& pattern : user->key_patterns) {
      if (GlobMatch(pattern, args[static_cast<size_t>(i)])) {
        allowed = true;
        break;
      }
    }
    if (!allowed) return std::string(errors::kNoPermKey);
  }
  return {};
}

std::string Describe(const config::UserSpec* user, bool default_has_password) {
  if (user == nullptr) {
    return fmt::format("user default on {} ~* +@all", default_has_password ? "(password set)" : "nopass");
  }
  std::string line = fmt::format("user {} on (password set)", user->name);
  if (user->key_patterns.empty()) {
    line += " ~*";
  } else {
    for (const auto& p : user->key_patterns) line += " ~" + p;
  }
  if (user->categories == config::kCategoryAll) {
    line += " +@all";
  } else {
    if (user->categories & config::kCategoryRead) line += " +@read";
    if (user->categories & config::kCategoryWrite) line += " +@write";
    if (user->categories & config::kCategoryAdmin) line += " +@admin";
  }
  return line;
}

}  // namespace crescent::server::acl
