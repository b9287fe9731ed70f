// RespConnection: one non-blocking TCP connection that sends batches of RESP commands and
// parses the replies minimally (the encoding and the reply header lines are protocol/'s:
// AppendRequest, AppendLengthLine, ParseReplyLine).
//
// Output: the commands of a batch are formatted into a reusable arena; a large value is
// not copied but referenced (it lives in the caller's preallocated buffer, which must
// outlive the batch) and sent with sendmsg()'s gather list. Input: replies are read into
// one reusable buffer; a bulk string's payload is only counted and skipped, never copied,
// so a reply costs no allocation whatever its size.
//
// Not thread-safe: a connection belongs to one client thread.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace crescent::bench {

// One reply, as far as a load generator needs to know it.
struct Reply {
  char type = 0;         // '+', '-', ':', '$' (RESP3 null '_' is reported as '$' with -1)
  int64_t integer = 0;   // ':' the integer; '$' the payload length, -1 for a null reply
  std::string_view text; // '+' and '-': the line; valid only during OnReply()
};

class ReplySink {
 public:
  virtual ~ReplySink() = default;
  // Called once per complete reply, in order. Returning false stops parsing (error).
  virtual bool OnReply(const Reply& reply) = 0;
};

enum class IoStatus { kDone, kWouldBlock, kError };

class RespConnection {
 public:
  explicit RespConnection(size_t input_capacity = 512 * 1024);
  ~RespConnection();
  RespConnection(const RespConnection&) = delete;
  RespConnection& operator=(const RespConnection&) = delete;

  // Blocking connect, then switches the socket to non-blocking with TCP_NODELAY.
  bool Connect(const std::string& host, int port, std::string* error);
  int fd() const { return fd_; }

  // Batch building. REQUIRES: the previous batch was flushed completely.
  void ClearOutput();
  void AppendCommand(std::string_view name, std::string_view key);  // GET, EXISTS, DEL
  void AppendSet(std::string_view key, const char* value, size_t len);

  // Writes as much of the batch as the socket takes.
  IoStatus Flush(std::string* error);
  bool output_pending() const { return iov_built_ && iov_pos_ < iov_.size(); }

  // Reads what the socket holds and reports each complete reply to *sink.
  // kWouldBlock: nothing more to read for now; kError: *error says why.
  IoStatus Receive(ReplySink* sink, std::string* error);

 private:
  static constexpr size_t kCopyLimit = 4096;  // values up to this size are copied inline
  static constexpr uint64_t kMaxWakeMark = 1024 * 1024;  // see WakeAfter

  // Sets the socket's receive low-water mark for the rest of a bulk being received.
  void WakeAfter(uint64_t pending_bulk);
  void BuildIov();
  bool Parse(ReplySink* sink, std::string* error);

  int fd_ = -1;
  // Output arena plus large values to insert into it: (arena offset, external buffer).
  std::string out_;
  std::vector<std::pair<size_t, iovec>> external_;
  std::vector<iovec> iov_;
  size_t iov_pos_ = 0;
  bool iov_built_ = false;
  // Input buffer: bytes [rpos_, wpos_) are unparsed.
  std::vector<char> in_;
  size_t rpos_ = 0;
  size_t wpos_ = 0;
  uint64_t skip_ = 0;  // bytes of a bulk payload (plus CRLF) still to skip
  Reply pending_;      // the bulk reply being skipped
  int wake_mark_ = 1;  // the socket's SO_RCVLOWAT
};

}  // namespace crescent::bench
