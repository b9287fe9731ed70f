#include "server/monitor.h"

#include <fmt/format.h>

#include "server/connection.h"

namespace crescent::server {

namespace {

// Redis's sdscatrepr: printable bytes as they are, \" \\ \n \r \t \a \b escaped, the
// rest as \xHH.
void AppendQuoted(std::string* out, std::string_view arg) {
  out->push_back('"');
  for (unsigned char c : arg) {
    switch (c) {
      case '\\': *out += "\\\\"; break;
      case '"': *out += "\\\""; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      case '\a': *out += "\\a"; break;
      case '\b': *out += "\\b"; break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out->push_back(static_cast<char>(c));
        } else {
          *out += fmt::format("\\x{:02x}", c);
        }
    }
  }
  out->push_back('"');
}

}  // namespace

std::string MonitorFeed::Format(int64_t now_us, std::string_view client_addr,
                                std::span<const std::string_view> args) {
  std::string line = fmt::format("{}.{:06} [0 {}]", now_us / 1'000'000, now_us % 1'000'000,
                                 client_addr);
  for (std::string_view arg : args) {
    line.push_back(' ');
    AppendQuoted(&line, arg);
  }
  return line;
}

void MonitorFeed::Add(const std::shared_ptr<Connection>& connection) {
  std::lock_guard lock(mu_);
  monitors_.push_back(connection);
  count_.store(monitors_.size(), std::memory_order_relaxed);
}

void MonitorFeed::Remove(uint64_t client_id) {
  std::lock_guard lock(mu_);
  std::erase_if(monitors_, [&](const std::weak_ptr<Connection>& weak) {
    auto c = weak.lock();
    return c == nullptr || c->client().id() == client_id;
  });
  count_.store(monitors_.size(), std::memory_order_relaxed);
}

void MonitorFeed::Feed(uint64_t from, std::string_view client_addr, int64_t now_us,
                       std::span<const std::string_view> args) {
  std::string line = Format(now_us, client_addr, args);
  std::lock_guard lock(mu_);
  for (const auto& weak : monitors_) {
    auto c = weak.lock();
    if (c != nullptr && c->client().id() != from) c->Feed(line);
  }
}

}  // namespace crescent::server
