// Access control: who a connection is (the default user of requirepass, or a named
// user of the YAML file) and what that user may run. Stateless over the configuration;
// any thread.
//
// Connections must authenticate when requirepass is set or named users exist. The
// default user has every permission; with named users and no requirepass, the default
// user cannot log in. A named user runs only commands of its categories (a command's
// read / write / admin flags; commands with none, like PING, are open to everyone) and,
// when it has key patterns, only on keys that match one of them; commands that reach
// the whole keyspace (KEYS, SCAN, REMOVEREGEX, FLUSHALL...) are then refused.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "config/options.h"
#include "server/command.h"

namespace crescent::server::acl {

bool AuthRequired(const config::Config& config);

enum class AuthResult { kOk, kWrongPass, kNoPasswordConfigured };
// On kOk, *user is the named user, or null for the default user.
AuthResult Authenticate(const config::Config& config, std::string_view user,
                        std::string_view password, bool user_given,
                        const config::UserSpec** out);

// Empty when allowed; otherwise Redis's NOPERM text.
std::string Check(const config::UserSpec* user, const CommandSpec& spec,
                  std::string_view full_name, std::span<const std::string_view> args);

// ACL LIST's line for a user, without secrets.
std::string Describe(const config::UserSpec* user, bool default_has_password);

}  // namespace crescent::server::acl
