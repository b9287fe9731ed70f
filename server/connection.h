// Connection: one client socket on one I/O thread: read -> parse -> dispatch -> write.
//
// Reading and writing proceed independently: replies accumulate in a ReplyBuffer while
// an earlier write is in flight, and the next write gathers them all (writev). Each batch
// of input executes at most kBatchBudget commands before yielding the thread to other
// connections. A client whose unread copied replies pass client-output-buffer-limit, or
// whose unparsed input passes client-query-buffer-limit, is disconnected rather than
// allowed to grow memory.
//
// The socket is either plain TCP or TLS (ssl::stream over the same tcp::socket); the
// read / parse / dispatch / write logic is shared and the stream is chosen once per
// read or write, never per byte. A TLS connection does its handshake
// before the first read and is dropped if that takes longer than kHandshakeTimeout.
//
// All members are touched only on the connection's io_context thread; Kill() and
// Describe() are the exceptions and may be called from any thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "protocol/reply_buffer.h"
#include "protocol/reply_writer.h"
#include "protocol/request_parser.h"
#include "server/client.h"
#include "server/socket_receive.h"

namespace crescent::server {

class Server;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  static constexpr size_t kBatchBudget = 256;
  // Values at least this large of SET / PUT / UPSERT are read from the socket straight
  // into their replica when they have not fully arrived yet (one copy, by the kernel).
  static constexpr size_t kDirectReceiveMin = 64 * 1024;
  static constexpr auto kHandshakeTimeout = std::chrono::seconds(10);
  // A draining connection with nothing left to answer closes once its input has been
  // silent this long: bytes a client sent before the shutdown may still be on their way
  // (waiting for the receive window), and closing on them would reset the connection
  // before their replies are written.
  static constexpr auto kDrainQuiet = std::chrono::milliseconds(100);

  // `tls` null: plain TCP; otherwise the connection speaks TLS with that context.
  Connection(Server* server, boost::asio::io_context* context,
             boost::asio::ip::tcp::socket socket, std::unique_ptr<Client> client,
             boost::asio::ssl::context* tls = nullptr);

  void Start();
  // Disconnects the client before returning (any thread), as Redis frees a killed client
  // on the spot: the socket is shut down at once, so the client sees the connection end
  // before whoever killed it gets a reply, and nothing it sent is executed after the
  // call, including requests already read but not yet run. Replies not yet written are
  // dropped. From the call on it is no longer listed (CLIENT LIST); the connection's own
  // thread then closes the socket.
  void Kill();
  bool killed() const { return killed_.load(std::memory_order_acquire); }
  // Shutdown: answers every request the client has already sent (what is buffered and
  // what the socket holds), stops reading after that, flushes and closes (any thread).
  void Drain();
  // Closes it now, dropping unwritten replies (any thread).
  void Abort();
  // MONITOR: appends one line (a simple string) to this connection's output. Any thread.
  void Feed(std::string line);
  Client& client() { return *client_; }
  std::string Describe(int64_t now_ms) const;  // a CLIENT LIST line
  // When the request now being received started arriving (0: none is partial). Any
  // thread: the cron closes clients that hold a partial request open too long.
  int64_t partial_since_ms() const { return partial_since_ms_.load(std::memory_order_relaxed); }

 private:
  using TlsStream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>;

  void Handshake();
  void Read();
  void OnRead(const boost::system::error_code& error, size_t bytes);
  void ProcessInput();
  // CLIENT PAUSE: whether the request must wait; if so, ProcessInput runs again later.
  bool WaitForPause(std::span<const std::string_view> args);
  void Write();
  void OnWrite(const boost::system::error_code& error, size_t bytes);
  void Close();
  void PrepareReadSpace();
  // Prefetches the keys of the pipelined requests waiting in the input (a hint).
  void PrefetchPipelinedKeys();
  // Starts reading a pending large value straight into the store; false if it does not
  // apply (then the value arrives through the input buffer as usual).
  bool MaybeReceiveDirect();
  // Plain TCP: receives the rest of the value MaybeReceiveDirect started.
  void ReceiveDirectRest();
  void OnDirectRead(const boost::system::error_code& error, size_t bytes);
  // The socket's SO_RCVLOWAT (1 but while a large value arrives).
  void SetReceiveMark(size_t bytes);
  // Plain TCP: sends what the socket takes now; true when some output is left for
  // async_write (false also when the connection closed).
  bool SendNow();
  // Draining and nothing left to answer: once the input has been silent for kDrainQuiet,
  // close when the replies are written.
  void CheckDrain();

  Server* server_;
  boost::asio::io_context* context_;
  boost::asio::ip::tcp::socket socket_;
  SocketReceive receive_;  // plain TCP reads
  // Plain TCP: a large value being received straight into its replica.
  struct DirectReceive {
    char* destination;
    size_t length;
    size_t received;
  };
  std::optional<DirectReceive> direct_;
  int receive_mark_ = 1;
  std::unique_ptr<TlsStream> tls_;  // over socket_; null for plain TCP
  std::unique_ptr<boost::asio::steady_timer> handshake_timer_;
  std::unique_ptr<boost::asio::steady_timer> drain_timer_;  // see kDrainQuiet
  uint64_t drain_input_mark_ = 0;  // bytes read when drain_timer_ was armed
  uint64_t input_total_ = 0;       // bytes read over the connection's life
  std::string tls_scratch_;  // small reply pieces gathered into one TLS record
  std::unique_ptr<Client> client_;
  protocol::RequestParser parser_;
  protocol::ReplyBuffer output_;
  protocol::ReplyWriter writer_{&output_};
  std::vector<char> input_;
  size_t input_begin_ = 0;  // first unconsumed byte
  size_t input_end_ = 0;    // one past the last byte read
  bool reading_ = false;
  size_t receive_space_ = 0;     // room the receive in flight (or the last one) had
  bool receive_filled_ = false;  // the last receive filled it: see kMaxPipelineInput
  bool writing_ = false;
  bool processing_scheduled_ = false;
  bool closed_ = false;
  // Replies dropped by CLIENT REPLY OFF / SKIP are written here and thrown away.
  protocol::ReplyBuffer muted_output_;
  protocol::ReplyWriter muted_writer_{&muted_output_};
  // CLIENT PAUSE: wakes the connection to try its next command again.
  std::unique_ptr<boost::asio::steady_timer> pause_timer_;
  bool draining_ = false;
  // Kill() shuts the socket down from another thread: this keeps Close() from closing
  // it (and the descriptor number being reused) in between. Held around socket_.close()
  // and by Kill(), which reads only whether the socket is open and its descriptor.
  std::mutex socket_mu_;
  std::atomic<int64_t> partial_since_ms_{0};
  std::atomic<bool> killed_{false};
  std::atomic<size_t> query_buffer_bytes_{0};   // for CLIENT LIST from other threads
  std::atomic<size_t> query_buffer_free_{0};    // room left in input_, likewise
  std::atomic<size_t> output_buffer_bytes_{0};
  std::vector<protocol::ReplyBuffer::Piece> pieces_;
};

}  // namespace crescent::server
