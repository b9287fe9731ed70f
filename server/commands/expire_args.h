// The expiry options shared by SET, GETEX, SETEX and PSETEX: parsed into an absolute
// Unix time in milliseconds with Redis's checks (non-integer, not positive, overflow).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace crescent::server {

enum class ExpireUnit { kSeconds, kMilliseconds, kUnixSeconds, kUnixMilliseconds };

struct ExpireParse {
  std::optional<int64_t> expire_at_ms;  // set on success
  std::string error;                    // set on failure: the full error text
};

// `command` names the command in "invalid expire time in '<command>' command".
ExpireParse ParseExpire(std::string_view value, ExpireUnit unit, int64_t now_ms,
                        std::string_view command);

}  // namespace crescent::server
