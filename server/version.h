// The versions this server reports. Clients read redis_version (INFO) and version (HELLO)
// to decide which commands they may send; Crescent implements Redis 7.0's semantics for
// the commands it has, so it reports that, and its own version beside it.
#pragma once

namespace crescent::server {

inline constexpr const char* kRedisCompatibleVersion = "7.0.0";
inline constexpr const char* kCrescentVersion = "0.1.0";

}  // namespace crescent::server
