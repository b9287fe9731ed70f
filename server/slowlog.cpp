#include "server/slowlog.h"

#include <fmt/format.h>

namespace crescent::server {

void SlowLog::Add(std::span<const std::string_view> args, int64_t unix_time_s,
                  int64_t duration_us, std::string client_addr, std::string client_name,
                  size_t max_len) {
  constexpr size_t kMaxArgs = 32;
  constexpr size_t kMaxArgLen = 128;
  SlowLogEntry entry;
  entry.unix_time_s = unix_time_s;
  entry.duration_us = duration_us;
  size_t shown = std::min(args.size(), kMaxArgs);
  for (size_t i = 0; i < shown; ++i) {
    if (i == kMaxArgs - 1 && args.size() > kMaxArgs) {
      entry.args.push_back(fmt::format("... ({} more arguments)", args.size() - kMaxArgs + 1));
    } else if (args[i].size() > kMaxArgLen) {
      entry.args.push_back(fmt::format("{}... ({} more bytes)", args[i].substr(0, kMaxArgLen),
                                       args[i].size() - kMaxArgLen));
    } else {
      entry.args.emplace_back(args[i]);
    }
  }
  entry.client_addr = std::move(client_addr);
  entry.client_name = std::move(client_name);
  std::lock_guard lock(mu_);
  entry.id = next_id_++;
  entries_.push_front(std::move(entry));
  while (entries_.size() > max_len) entries_.pop_back();
}

std::vector<SlowLogEntry> SlowLog::Get(size_t count) const {
  std::lock_guard lock(mu_);
  count = std::min(count, entries_.size());
  return {entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(count)};
}

size_t SlowLog::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

void SlowLog::Reset() {
  std::lock_guard lock(mu_);
  entries_.clear();
}

}  // namespace crescent::server
