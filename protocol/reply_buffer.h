// ReplyBuffer: the output of one connection, ready for a scatter/gather write.
//
// Small replies are copied into owned chunks; a large value can be appended by
// reference together with a keepalive token, so it is written to the socket straight
// from where it lives (the memory pool) while the token keeps it alive. The protocol
// layer does not know what the token is.
// One thread at a time (the connection's I/O thread).
//
// Owned bytes live in chunks of about 16 KiB (like Redis's 16 KiB reply buffer): small
// replies are copied into the last owned chunk while it has spare capacity, so a
// pipeline of small replies becomes a few large writev pieces. A chunk's capacity is
// fixed when it is created, so Append never moves bytes already in the buffer: the
// pieces returned by Peek stay valid across Append (a write may be in flight while
// replies keep arriving) and are invalidated only by Consume and Clear.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace crescent::protocol {

class ReplyBuffer {
 public:
  struct Piece {
    const char* data;
    size_t size;
  };

  void Append(std::string_view bytes);
  void Append(char c);
  // Appends `bytes` without copying; `keepalive` is held until the bytes are consumed.
  // With a null keepalive nothing would keep the bytes alive, so they are copied.
  void AppendExternal(std::string_view bytes, std::shared_ptr<const void> keepalive);
  // Appends bytes of static storage duration (a literal) by reference. After an external
  // piece, a copy would take a fresh owned chunk: the "\r\n" closing a large value cost
  // a 16 KiB malloc per GET.
  void AppendStatic(std::string_view bytes);

  size_t size() const { return size_; }  // bytes not yet consumed
  bool empty() const { return size_ == 0; }
  // Unconsumed bytes this buffer holds copies of (external bytes excluded): what a
  // client that stops reading costs in memory.
  size_t owned_size() const { return size_ - external_size_; }

  // Replaces *out with up to `max_pieces` non-empty pieces from the front, for writev /
  // asio::async_write.
  void Peek(std::vector<Piece>* out, size_t max_pieces = 64) const;
  // Drops `n` bytes from the front (after a write), releasing keepalives of
  // fully written external pieces. REQUIRES: n <= size() (larger n is clamped).
  void Consume(size_t n);
  // Drops everything, releasing every keepalive.
  void Clear();

 private:
  struct Chunk {
    std::string owned;                  // used when keepalive is null
    std::string_view external;          // used when keepalive is set
    std::shared_ptr<const void> keepalive;
    size_t offset = 0;                  // bytes of this chunk already consumed
    std::string_view bytes() const {
      return keepalive ? external : std::string_view(owned);
    }
  };
  // Starts a new owned chunk holding `bytes`, with capacity for later small appends.
  void AppendNewChunk(std::string_view bytes);
  // Frees what chunk `c` holds; keeps one modest owned buffer in spare_ for reuse.
  void Release(Chunk& c);

  // Invariants: chunks before head_ are released and empty; every chunk from head_ on
  // has unconsumed bytes (none is empty); size_ is the sum of their unconsumed bytes;
  // owned chunks are heap-allocated (capacity > SSO), so moving a Chunk inside the
  // vector does not move its bytes.
  std::vector<Chunk> chunks_;  // front is chunks_[head_]
  size_t head_ = 0;
  size_t size_ = 0;
  size_t external_size_ = 0;  // unconsumed bytes of external chunks
  std::string spare_;  // an emptied owned buffer kept to avoid a malloc per reply batch
};

}  // namespace crescent::protocol
