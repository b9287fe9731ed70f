// ReplyBuffer: the output of one connection, ready for a scatter/gather write.
//
// Small replies are copied into owned chunks; a large value can be appended by
// reference together with a keepalive token, so it is written to the socket straight
// from where it lives (the memory pool) while the token keeps it alive. The protocol
// layer does not know what the token is.
// One thread at a time (the connection's I/O thread).
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
  void AppendExternal(std::string_view bytes, std::shared_ptr<const void> keepalive);

  size_t size() const { return size_; }  // bytes not yet consumed
  bool empty() const { return size_ == 0; }

  // Up to `max_pieces` pieces from the front, for writev / asio::async_write.
  void Peek(std::vector<Piece>* out, size_t max_pieces = 64) const;
  // Drops `n` bytes from the front (after a write), releasing keepalives of
  // fully written external pieces.
  void Consume(size_t n);
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
  std::vector<Chunk> chunks_;  // front is chunks_[head_]
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace crescent::protocol
