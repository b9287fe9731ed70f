#include "protocol/reply_buffer.h"

#include <algorithm>
#include <utility>

namespace crescent::protocol {
namespace {

// Capacity of a new owned chunk: Redis's PROTO_REPLY_CHUNK_BYTES. Large enough that a
// pipeline of small replies needs few writev pieces, small enough that an idle
// connection with pending output does not pin much memory.
constexpr size_t kChunkBytes = 16 * 1024;
// Emptied owned buffers up to this capacity are kept for the next batch of replies;
// bigger ones (a large copied value) are freed so one big reply does not stay pinned.
constexpr size_t kMaxSpareBytes = 4 * kChunkBytes;
// Consumed chunks at the front are erased once there are at least this many and they
// are at least half of the vector: amortised O(1) per chunk, bounded vector growth.
constexpr size_t kCompactAfter = 16;

}  // namespace

void ReplyBuffer::Append(std::string_view bytes) {
  if (bytes.empty()) return;
  size_ += bytes.size();
  if (head_ < chunks_.size()) {
    Chunk& last = chunks_.back();
    // Only within existing capacity: a reallocation would move bytes that a Peek may
    // have handed to a write in flight.
    if (!last.keepalive && last.owned.capacity() - last.owned.size() >= bytes.size()) {
      last.owned.append(bytes);
      return;
    }
  }
  AppendNewChunk(bytes);
}

void ReplyBuffer::Append(char c) { Append(std::string_view(&c, 1)); }

void ReplyBuffer::AppendNewChunk(std::string_view bytes) {
  Chunk chunk;
  if (spare_.capacity() >= std::max(kChunkBytes, bytes.size())) {
    chunk.owned = std::move(spare_);
    spare_ = std::string();
    chunk.owned.clear();
  } else {
    chunk.owned.reserve(std::max(kChunkBytes, bytes.size()));
  }
  chunk.owned.append(bytes);
  chunks_.push_back(std::move(chunk));
}

void ReplyBuffer::AppendExternal(std::string_view bytes, std::shared_ptr<const void> keepalive) {
  if (bytes.empty()) return;
  if (!keepalive) {
    Append(bytes);
    return;
  }
  Chunk chunk;
  chunk.external = bytes;
  chunk.keepalive = std::move(keepalive);
  chunks_.push_back(std::move(chunk));
  size_ += bytes.size();
  external_size_ += bytes.size();
}

void ReplyBuffer::AppendStatic(std::string_view bytes) {
  // An aliasing pointer with no owner: not null, so the bytes are kept by reference, and
  // copying it touches no reference count.
  AppendExternal(bytes, std::shared_ptr<const void>(std::shared_ptr<const void>(), bytes.data()));
}

void ReplyBuffer::Peek(std::vector<Piece>* out, size_t max_pieces) const {
  out->clear();
  for (size_t i = head_; i < chunks_.size() && out->size() < max_pieces; ++i) {
    const std::string_view bytes = chunks_[i].bytes().substr(chunks_[i].offset);
    out->push_back(Piece{bytes.data(), bytes.size()});
  }
}

void ReplyBuffer::Release(Chunk& c) {
  if (c.keepalive) {
    c.keepalive.reset();
    c.external = {};
  } else if (c.owned.capacity() > spare_.capacity() && c.owned.capacity() <= kMaxSpareBytes) {
    spare_ = std::move(c.owned);
  }
  c.owned = std::string();
  c.offset = 0;
}

void ReplyBuffer::Consume(size_t n) {
  n = std::min(n, size_);
  size_ -= n;
  while (n > 0) {
    Chunk& c = chunks_[head_];
    const size_t left = c.bytes().size() - c.offset;
    if (n < left) {
      c.offset += n;
      if (c.keepalive) external_size_ -= n;
      break;
    }
    n -= left;
    if (c.keepalive) external_size_ -= left;
    Release(c);
    ++head_;
  }
  if (head_ == chunks_.size()) {
    chunks_.clear();  // keeps the vector's capacity
    head_ = 0;
  } else if (head_ >= kCompactAfter && head_ * 2 >= chunks_.size()) {
    chunks_.erase(chunks_.begin(), chunks_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
}

void ReplyBuffer::Clear() {
  for (size_t i = head_; i < chunks_.size(); ++i) Release(chunks_[i]);
  chunks_.clear();
  head_ = 0;
  size_ = 0;
  external_size_ = 0;
}

}  // namespace crescent::protocol
