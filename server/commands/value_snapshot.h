// A value read out of the store for work done after the shard lock is released (BITCOUNT,
// BITOP, LCS: work proportional to the value's size, or worse, is not done under the
// lock). A large value is pinned where it lies (no copy); a small one is copied.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "storage/store.h"

namespace crescent::server {

class ValueSnapshot {
 public:
  std::string_view bytes() const { return pin_ ? pinned_ : std::string_view(copy_); }

  // Nullopt when the key does not exist.
  static std::optional<ValueSnapshot> Read(storage::Store& store, std::string_view key) {
    std::optional<ValueSnapshot> out;
    store.Get(key, [&](const storage::ValueView& v) {
      out.emplace();
      if ((out->pin_ = v.Pin())) {
        out->pinned_ = v.bytes();
      } else {
        out->copy_.assign(v.bytes());
      }
    });
    return out;
  }

 private:
  std::shared_ptr<const void> pin_;  // keeps pinned_ valid
  std::string_view pinned_;
  std::string copy_;
};

}  // namespace crescent::server
