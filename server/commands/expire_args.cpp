#include "server/commands/expire_args.h"

#include "server/commands/parse.h"
#include "server/errors.h"

namespace crescent::server {

ExpireParse ParseExpire(std::string_view value, ExpireUnit unit, int64_t now_ms,
                        std::string_view command) {
  ExpireParse out;
  auto v = ParseInt64(value);
  if (!v) {
    out.error = std::string(errors::kNotInteger);
    return out;
  }
  int64_t when = *v;
  if (when <= 0) {
    out.error = errors::InvalidExpireTime(command);
    return out;
  }
  if (unit == ExpireUnit::kSeconds || unit == ExpireUnit::kUnixSeconds) {
    if (when > INT64_MAX / 1000) {
      out.error = errors::InvalidExpireTime(command);
      return out;
    }
    when *= 1000;
  }
  if (unit == ExpireUnit::kSeconds || unit == ExpireUnit::kMilliseconds) {
    if (when > INT64_MAX - now_ms) {
      out.error = errors::InvalidExpireTime(command);
      return out;
    }
    when += now_ms;
  }
  out.expire_at_ms = when;
  return out;
}

}  // namespace crescent::server
