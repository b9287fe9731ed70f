// Named users of the YAML file's `users:` list (ACL): a name, the SHA-256 of the
// password (never the password itself), the command categories allowed (read, write,
// admin) and, optionally, the key patterns (Redis globs) the user may touch.
//
//   users:
//     - name: alice
//       password-sha256: 2bb80d53...   # echo -n 'secret' | sha256sum
//       categories: [read, write]      # or [all]
//       keys: ["user:*"]               # optional; absent: every key
//
// Read once at start-up; immutable afterwards, so any thread may read it.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace YAML {
class Node;
}

namespace crescent::config {

enum UserCategory : uint32_t {
  kCategoryRead = 1 << 0,
  kCategoryWrite = 1 << 1,
  kCategoryAdmin = 1 << 2,
  kCategoryAll = kCategoryRead | kCategoryWrite | kCategoryAdmin,
};

struct UserSpec {
  std::string name;
  std::array<uint8_t, 32> password_sha256{};
  uint32_t categories = 0;
  std::vector<std::string> key_patterns;  // empty: every key
};

// Parses the `users` node; the message names the file's line and the field.
Status ParseUsers(const YAML::Node& node, const std::string& file, std::vector<UserSpec>* out);

// SHA-256 of `text`.
std::array<uint8_t, 32> Sha256(std::string_view text);

}  // namespace crescent::config
