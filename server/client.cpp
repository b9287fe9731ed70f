#include "server/client.h"

#include <fmt/format.h>

namespace crescent::server {

std::string Client::Describe(int64_t now_ms, size_t query_buffer, size_t query_buffer_free,
                             size_t output_buffer) const {
  const std::string* last = last_command_.load(std::memory_order_relaxed);
  std::lock_guard l(mu_);
  // Redis 7's field order, so that tools parsing CLIENT LIST keep working.
  return fmt::format(
      "id={} addr={} laddr={} fd=0 name={} age={} idle={} flags=N db=0 sub=0 psub=0 ssub=0 "
      "multi=-1 qbuf={} qbuf-free={} argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem={} "
      "tot-mem=0 events=r cmd={} user={} redir=-1 resp={} lib-name={} lib-ver={}",
      id_, addr_, laddr_, name_, (now_ms - created_ms_) / 1000,
      (now_ms - last_interaction_ms()) / 1000, query_buffer, query_buffer_free, output_buffer,
      last != nullptr ? *last : std::string("NULL"),
      user_, resp3.load() ? 3 : 2, lib_name_, lib_ver_);
}

}  // namespace crescent::server
