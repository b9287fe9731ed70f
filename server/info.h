// INFO's text: Redis's sections and field names (clients such as redis-py and ioredis
// read redis_version, loading and cluster_enabled), plus Crescent's segments and
// eviction sections. Any thread.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace crescent::server {

class Server;

// `sections` as INFO's arguments: empty means "default"; "all", "everything" and
// "default" are understood, as are section names in any case.
std::string BuildInfo(Server& server, std::span<const std::string_view> sections);

}  // namespace crescent::server
