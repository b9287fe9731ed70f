// What COMMAND DOCS says of each command beyond its table entry: time complexity and
// arguments. Kept apart from the command tables so that they stay one line per command.
#pragma once

#include <string_view>
#include <vector>

namespace crescent::server {

struct ArgumentDoc {
  std::string_view name;
  // key, string, integer, double, pattern, unix-time or pure-token. No oneof / block:
  // those need nested arguments, and redis-cli (7.0) crashes on one that has none.
  std::string_view type;
  bool optional = false;
  bool multiple = false;
};

struct CommandDoc {
  std::string_view complexity;
  std::vector<ArgumentDoc> arguments;
};

// By full name ("get", "client|list"); null when nothing more is documented.
const CommandDoc* FindCommandDoc(std::string_view full_name);

}  // namespace crescent::server
