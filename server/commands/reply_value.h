// Writing a stored value into a reply: small values are copied under the shard lock,
// large ones are pinned and sent straight from the pool (no copy).
#pragma once

#include "protocol/reply_writer.h"
#include "storage/store.h"

namespace crescent::server {

inline void ReplyValue(protocol::ReplyWriter& reply, const storage::ValueView& value) {
  if (auto pin = value.Pin()) {
    reply.BulkExternal(value.bytes(), std::move(pin));
  } else {
    reply.Bulk(value.bytes());
  }
}

}  // namespace crescent::server
