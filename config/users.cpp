#include "config/users.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

namespace crescent::config {

namespace {

bool HexToBytes(std::string_view hex, std::array<uint8_t, 32>* out) {
  if (hex.size() != 64) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < 32; ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    (*out)[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

}  // namespace

std::array<uint8_t, 32> Sha256(std::string_view text) {
  std::array<uint8_t, 32> digest{};
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest.data(), &len, EVP_sha256(), nullptr);
  return digest;
}

Status ParseUsers(const YAML::Node& node, const std::string& file, std::vector<UserSpec>* out) {
  auto fail = [&](const YAML::Node& at, std::string_view what) {
    return Status(StatusCode::kInvalidArgument,
                  fmt::format("{}:{}: key 'users': {}", file, at.Mark().line + 1, what));
  };
  if (!node.IsSequence()) return fail(node, "expected a list of users (name, password-sha256, categories, keys)");
  for (const auto& item : node) {
    if (!item.IsMap()) return fail(item, "each user is a map with name, password-sha256, categories, keys");
    UserSpec user;
    for (const auto& field : item) {
      std::string key = field.first.as<std::string>();
      const YAML::Node& value = field.second;
      if (key == "name" && value.IsScalar()) {
        user.name = value.as<std::string>();
      } else if (key == "password-sha256" && value.IsScalar()) {
        if (!HexToBytes(value.as<std::string>(), &user.password_sha256)) {
          return fail(value, "password-sha256 must be 64 hex digits (echo -n PASSWORD | sha256sum)");
        }
      } else if (key == "categories" && value.IsSequence()) {
        for (const auto& c : value) {
          std::string name = c.as<std::string>();
          if (name == "read") user.categories |= kCategoryRead;
          else if (name == "write") user.categories |= kCategoryWrite;
          else if (name == "admin") user.categories |= kCategoryAdmin;
          else if (name == "all") user.categories |= kCategoryAll;
          else return fail(c, fmt::format("unknown category '{}': expected read, write, admin or all", name));
        }
      } else if (key == "keys" && value.IsSequence()) {
        for (const auto& k : value) user.key_patterns.push_back(k.as<std::string>());
      } else {
        return fail(field.first, fmt::format("unknown or malformed field '{}' (name, password-sha256, categories: [..], keys: [..])", key));
      }
    }
    if (user.name.empty()) return fail(item, "a user needs a name");
    if (user.name == "default") return fail(item, "'default' is the user of requirepass; choose another name");
    if (user.password_sha256 == std::array<uint8_t, 32>{}) return fail(item, "a user needs password-sha256");
    for (const auto& other : *out) {
      if (other.name == user.name) return fail(item, fmt::format("user '{}' is listed twice", user.name));
    }
    out->push_back(std::move(user));
  }
  return Status::Ok();
}

}  // namespace crescent::config
