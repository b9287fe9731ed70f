#include "server/connection.h"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <algorithm>
#include <array>
#include <span>
#include <cctype>
#include <cstring>
#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <spdlog/spdlog.h>

#include "protocol/pipeline_scan.h"
#include "server/dispatcher.h"
#include "server/server.h"

namespace crescent::server {

namespace asio = boost::asio;
using config::OptionId;

namespace {
constexpr size_t kInitialInput = 16 * 1024;
constexpr size_t kMinReadSpace = 4 * 1024;
// A receive that fills its space may have left input in the socket: the buffer then
// doubles, up to this, so that a pipeline of 1 KiB SETs arrives in one receive rather
// than two (Redis, too, receives into all the room its query buffer has).
constexpr size_t kMaxPipelineInput = 4 * kInitialInput;
constexpr size_t kMaxWritePieces = 64;
// Receive low-water marks while a large value arrives (see ReceiveDirectRest).
constexpr size_t kMaxReceiveMark = 1024 * 1024;
constexpr size_t kMinMarkedRest = 128 * 1024;
// Keys of pipelined requests prefetched per turn (see PrefetchPipelinedKeys).
constexpr size_t kPrefetchKeys = 16;
// TLS: pieces smaller than this are copied together so that a pipeline of small replies
// goes out as a few TLS records (one SSL_write each) rather than one per piece.
constexpr size_t kTlsGatherPiece = 16 * 1024;
constexpr size_t kTlsGatherMax = 64 * 1024;

// Completion condition for async_read / async_write: everything, in system calls as large
// as the socket takes. Asio's transfer_all caps each call at 64 KiB, which made a 1 MiB
// reply 17 sendmsg calls and as many wake-ups of the reader instead of one or two.
struct TransferAll {
  size_t operator()(const boost::system::error_code& error, size_t) const {
    return error ? 0 : size_t{1} << 30;
  }
};
}  // namespace

Connection::Connection(Server* server, asio::io_context* context, asio::ip::tcp::socket socket,
                       std::unique_ptr<Client> client, asio::ssl::context* tls)
    : server_(server), context_(context), socket_(std::move(socket)),
      receive_([](void* self, const boost::system::error_code& error, size_t bytes) {
                 auto* connection = static_cast<Connection*>(self);
                 if (connection->direct_) {
                   connection->OnDirectRead(error, bytes);
                 } else {
                   connection->OnRead(error, bytes);
                 }
               }, this),
      client_(std::move(client)), input_(kInitialInput) {
  boost::system::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  // SocketReceive and SendNow call the socket directly: they must get EAGAIN, not block.
  socket_.non_blocking(true, ignored);
  if (tls != nullptr) {
    tls_ = std::make_unique<TlsStream>(socket_, *tls);
    handshake_timer_ = std::make_unique<asio::steady_timer>(*context_);
  }
}

void Connection::Start() {
  if (tls_) {
    Handshake();
  } else {
    Read();
  }
}

void Connection::Handshake() {
  reading_ = true;  // nothing reads before the handshake is over
  handshake_timer_->expires_after(kHandshakeTimeout);
  handshake_timer_->async_wait([self = shared_from_this()](const boost::system::error_code& error) {
    if (error || self->closed_) return;
    spdlog::info("client id={} addr={} closed: TLS handshake not completed in {} s",
                 self->client_->id(), self->client_->addr(), kHandshakeTimeout.count());
    self->Close();
  });
  tls_->async_handshake(asio::ssl::stream_base::server,
                        [self = shared_from_this()](const boost::system::error_code& error) {
    self->reading_ = false;
    self->handshake_timer_->cancel();
    if (self->closed_) return;
    if (error) {
      spdlog::info("client id={} addr={} closed: TLS handshake failed: {}", self->client_->id(),
                   self->client_->addr(), error.message());
      self->Close();
      return;
    }
    self->CheckDrain();
    self->Read();
  });
}

void Connection::Kill() {
  killed_.store(true, std::memory_order_release);
  {
    std::lock_guard lock(socket_mu_);
    // A system call on the descriptor, not an operation on the asio socket (which only
    // its own thread touches): the pending read and write then fail and Close follows.
    if (socket_.is_open()) ::shutdown(socket_.native_handle(), SHUT_RDWR);
  }
  asio::post(*context_, [self = shared_from_this()] { self->Close(); });
}

void Connection::Drain() {
  asio::post(*context_, [self = shared_from_this()] {
    self->draining_ = true;
    if (!self->processing_scheduled_) self->CheckDrain();
  });
}

void Connection::CheckDrain() {
  if (!draining_ || closed_) return;
  boost::system::error_code error;
  size_t pending_in_socket = socket_.available(error);
  if (!error && pending_in_socket > 0) return;
  if (tls_) {
    // Bytes already taken from the socket but not yet decrypted and delivered.
    SSL* ssl = tls_->native_handle();
    if (SSL_pending(ssl) > 0 || BIO_pending(SSL_get_rbio(ssl)) > 0) return;
  }
  // Only an incomplete request (or nothing) is left: it will never complete now.
  size_t consumed = 0;
  auto status = parser_.Parse(
      std::span<const char>(input_.data() + input_begin_, input_end_ - input_begin_), &consumed);
  if (status == protocol::ParseStatus::kOk) return;
  // Nothing to answer now; close only after kDrainQuiet without new input (the reads
  // stay armed meanwhile, and new input comes back here through ProcessInput).
  if (drain_timer_ && drain_input_mark_ == input_total_) return;  // already waiting
  if (!drain_timer_) drain_timer_ = std::make_unique<asio::steady_timer>(*context_);
  drain_input_mark_ = input_total_;
  drain_timer_->expires_after(kDrainQuiet);
  drain_timer_->async_wait([self = shared_from_this()](const boost::system::error_code& error) {
    if (error || self->closed_ || self->drain_input_mark_ != self->input_total_) return;
    self->client_->close_after_reply = true;
    if (!self->writing_) self->Close();
  });
}

bool Connection::WaitForPause(std::span<const std::string_view> args) {
  // A value already received straight into the store is not held back: its request
  // could not be parsed again from the input.
  if (!server_->paused() || client_->received_value) return false;
  const CommandEntry* entry = server_->commands().Find(args[0]);
  bool is_write = entry != nullptr && (entry->spec->flags & kCmdWrite);
  if (entry != nullptr && entry->full_name == "exec" && client_->multi) {
    for (const auto& queued : client_->multi->commands) {
      const CommandEntry* q = server_->commands().Find(queued[0]);
      is_write |= q != nullptr && (q->spec->flags & kCmdWrite);
    }
  }
  int64_t until = server_->PausedUntil(is_write);
  if (until == 0) return false;
  // Checked again every few milliseconds, so that CLIENT UNPAUSE takes effect soon.
  if (!pause_timer_) pause_timer_ = std::make_unique<asio::steady_timer>(*context_);
  int64_t wait_ms = std::clamp<int64_t>(until - server_->clock().NowMs(), 1, 10);
  pause_timer_->expires_after(std::chrono::milliseconds(wait_ms));
  processing_scheduled_ = true;
  pause_timer_->async_wait([self = shared_from_this()](const boost::system::error_code& error) {
    if (error || self->closed_) return;
    self->ProcessInput();
  });
  return true;
}

void Connection::Feed(std::string line) {
  asio::post(*context_, [self = shared_from_this(), line = std::move(line)] {
    if (self->closed_) return;
    self->writer_.SimpleString(line);
    self->Write();
  });
}

void Connection::Abort() {
  asio::post(*context_, [self = shared_from_this()] { self->Close(); });
}

std::string Connection::Describe(int64_t now_ms) const {
  return client_->Describe(now_ms, query_buffer_bytes_.load(std::memory_order_relaxed),
                           query_buffer_free_.load(std::memory_order_relaxed),
                           output_buffer_bytes_.load(std::memory_order_relaxed));
}

void Connection::PrepareReadSpace() {
  if (input_begin_ == input_end_) input_begin_ = input_end_ = 0;
  size_t pending = input_end_ - input_begin_;
  // Room for the whole request when the parser knows its size (one large bulk is then
  // read with few system calls and no repeated growth).
  size_t wanted = std::max(parser_.bytes_needed(), pending + kMinReadSpace);
  if (receive_filled_) wanted = std::max(wanted, std::min(2 * input_.size(), kMaxPipelineInput));
  if (input_.size() - input_end_ >= kMinReadSpace && input_.size() - input_begin_ >= wanted) {
    return;
  }
  if (input_begin_ > 0) {
    std::memmove(input_.data(), input_.data() + input_begin_, pending);
    input_begin_ = 0;
    input_end_ = pending;
  }
  if (input_.size() < wanted) {
    input_.resize(std::max(wanted, input_.size() * 2));
  } else if (input_.size() > 4 * kInitialInput && wanted <= kInitialInput) {
    // A large request has gone: give its memory back.
    input_.resize(kInitialInput);
    input_.shrink_to_fit();
  }
}

void Connection::Read() {
  if (reading_ || closed_ || client_->close_after_reply) return;
  PrepareReadSpace();
  reading_ = true;
  receive_space_ = input_.size() - input_end_;
  query_buffer_free_.store(receive_space_, std::memory_order_relaxed);
  if (!tls_) {
    receive_.Start(socket_, input_.data() + input_end_, input_.size() - input_end_,
                   shared_from_this());
    return;
  }
  // TLS keeps decrypted bytes of its own: readiness of the socket says nothing of them.
  tls_->async_read_some(
      asio::buffer(input_.data() + input_end_, input_.size() - input_end_),
      [self = shared_from_this()](const boost::system::error_code& error, size_t bytes) {
        self->OnRead(error, bytes);
      });
}

void Connection::OnRead(const boost::system::error_code& error, size_t bytes) {
  reading_ = false;
  if (closed_) return;
  if (error) {
    Close();
    return;
  }
  receive_filled_ = bytes == receive_space_;
  input_end_ += bytes;
  input_total_ += bytes;
  server_->stats().net_input_bytes.fetch_add(bytes, std::memory_order_relaxed);
  client_->Touch(server_->clock().NowMs());
  ProcessInput();
}

void Connection::ProcessInput() {
  processing_scheduled_ = false;
  if (closed_) return;
  PrefetchPipelinedKeys();
  size_t executed = 0;
  while (executed < kBatchBudget && !client_->close_after_reply && !killed()) {
    // Limits are read per request: CONFIG SET and AUTH change them mid-pipeline.
    protocol::ParserLimits limits;
    limits.max_bulk_len = static_cast<uint64_t>(server_->config().Int(OptionId::kProtoMaxBulkLen));
    limits.max_multibulk_len = static_cast<uint64_t>(server_->config().Int(OptionId::kMaxCommandArgs));
    limits.unauthenticated = AuthRequired(*server_, *client_);
    parser_.set_limits(limits);
    size_t consumed = 0;
    auto status = parser_.Parse(
        std::span<const char>(input_.data() + input_begin_, input_end_ - input_begin_), &consumed);
    if (status == protocol::ParseStatus::kNeedMore) break;
    if (status == protocol::ParseStatus::kError) {
      writer_.Error(parser_.error());
      server_->stats().CountError("ERR");
      client_->close_after_reply = true;
      break;
    }
    if (!parser_.args().empty()) {
      if (WaitForPause(parser_.args())) break;  // the request stays in the input
      const bool was_off = client_->reply_off;
      const bool muted = was_off || client_->reply_skip;
      client_->reply_skip = false;
      if (muted) muted_writer_.set_resp3(writer_.resp3());
      Dispatch(*server_, *client_, muted ? muted_writer_ : writer_, parser_.args());
      if (muted) {
        writer_.set_resp3(muted_writer_.resp3());  // HELLO or RESET among muted commands
        if (was_off && !client_->reply_off) {      // CLIENT REPLY ON: its OK goes out
          std::vector<protocol::ReplyBuffer::Piece> pieces;
          muted_output_.Peek(&pieces);
          for (const auto& piece : pieces) output_.Append(std::string_view(piece.data, piece.size));
        }
        muted_output_.Clear();
      }
      if (client_->reply_skip_next) {
        client_->reply_skip_next = false;
        client_->reply_skip = true;
      }
      client_->received_value.reset();
      ++executed;
    }
    input_begin_ += consumed;
  }
  if (killed()) {
    Close();
    return;
  }
  query_buffer_bytes_.store(input_end_ - input_begin_, std::memory_order_relaxed);
  // Since when a request has been incomplete (0: none is), for request-timeout.
  if (input_end_ == input_begin_) {
    partial_since_ms_.store(0, std::memory_order_relaxed);
  } else if (partial_since_ms_.load(std::memory_order_relaxed) == 0) {
    partial_since_ms_.store(server_->clock().NowMs(), std::memory_order_relaxed);
  }
  output_buffer_bytes_.store(output_.size(), std::memory_order_relaxed);

  if (output_.owned_size() > static_cast<size_t>(server_->config().Int(OptionId::kClientOutputBufferLimit))) {
    spdlog::warn("client id={} addr={} closed: output buffer limit reached ({} bytes unread)",
                 client_->id(), client_->addr(), output_.size());
    Close();
    return;
  }
  // As Redis: a request whose single bulk is larger than the limit is allowed (bulks are
  // bounded by proto-max-bulk-len); the limit catches a pile of unparsed input.
  size_t query_limit = static_cast<size_t>(server_->config().Int(OptionId::kClientQueryBufferLimit));
  if (input_end_ - input_begin_ > query_limit && parser_.bytes_needed() <= query_limit) {
    spdlog::warn("client id={} addr={} closed: query buffer limit reached", client_->id(),
                 client_->addr());
    Close();
    return;
  }
  Write();
  if (closed_) return;  // the send failed, or finished the last reply
  if (client_->close_after_reply) {
    if (!writing_) Close();
    return;
  }
  if (executed == kBatchBudget) {
    // More may be waiting: let other connections on this thread run first.
    processing_scheduled_ = true;
    asio::post(*context_, [self = shared_from_this()] { self->ProcessInput(); });
    return;
  }
  CheckDrain();
  if (MaybeReceiveDirect()) return;
  Read();
}

void Connection::PrefetchPipelinedKeys() {
  // Only for a pipeline: a single request would pay the scan and gain nothing.
  std::array<std::string_view, kPrefetchKeys> keys;
  size_t n = protocol::PipelinedKeys(
      std::span<const char>(input_.data() + input_begin_, input_end_ - input_begin_), keys);
  if (n >= 2) server_->store().Prefetch(std::span<const std::string_view>(keys.data(), n));
}

bool Connection::MaybeReceiveDirect() {
  auto pending = parser_.pending_bulk();
  if (!pending || pending->index != 2 || pending->length < kDirectReceiveMin) return false;
  std::span<const char> input(input_.data() + input_begin_, input_end_ - input_begin_);
  if (input.size() < pending->offset) return false;
  size_t have = input.size() - pending->offset;
  if (have >= pending->length) return false;  // already here: the usual path is as cheap
  std::string_view command = parser_.parsed_arg(input, 0);
  static constexpr std::string_view kCommands[] = {"set", "put", "upsert"};
  bool applies = false;
  for (auto name : kCommands) {
    applies |= command.size() == name.size() &&
               std::equal(name.begin(), name.end(), command.begin(), [](char a, char b) {
                 return a == std::tolower(static_cast<unsigned char>(b));
               });
  }
  if (!applies || AuthRequired(*server_, *client_)) return false;
  auto reserved = server_->store().Reserve(pending->length, {});
  if (!reserved.ok()) return false;  // the command will report it
  char* destination = reserved->data();
  size_t length = pending->length;
  std::memcpy(destination, input.data() + pending->offset, have);
  input_end_ = input_begin_ + pending->offset;
  client_->received_value = std::move(reserved).value();
  reading_ = true;
  if (!tls_) {
    direct_ = DirectReceive{destination, length, have};
    ReceiveDirectRest();
    return true;
  }
  auto on_read = [self = shared_from_this(), destination, length](
                     const boost::system::error_code& error, size_t bytes) {
    self->reading_ = false;
    if (self->closed_) return;
    if (error) {
      self->Close();
      return;
    }
    self->input_total_ += bytes;
    self->server_->stats().net_input_bytes.fetch_add(bytes, std::memory_order_relaxed);
    self->parser_.TakePendingBulk(std::string_view(destination, length));
    self->ProcessInput();
  };
  asio::async_read(*tls_, asio::buffer(destination + have, length - have), TransferAll{},
                   std::move(on_read));
  return true;
}

void Connection::ReceiveDirectRest() {
  // With a low-water mark the kernel reports the socket readable once that much of the
  // value is there, not as each burst of segments lands (4.4 receives and 1.9 epoll_waits
  // per 1 MiB SET without it, 3.1 and 1.0 with it; 1.4x the throughput on one thread).
  // The mark never exceeds what is still to come, or the socket would never become
  // readable. Each change is a system call: below kMinMarkedRest they cost more than
  // the wake-ups they save.
  const size_t left = direct_->length - direct_->received;
  if (left >= kMinMarkedRest) {
    SetReceiveMark(std::min(left, kMaxReceiveMark));
  } else if (static_cast<size_t>(receive_mark_) > left) {
    SetReceiveMark(1);
  }
  // What follows the value (its CRLF, the next requests) lands in the input buffer in the
  // same receive, just after the request's header, where a later read would put it. The
  // receive is then short when it takes all there is, and the next read waits for input
  // instead of trying first; a receive of exactly the value's rest could not tell.
  receive_space_ = input_.size() - input_end_;
  receive_.Start(socket_, direct_->destination + direct_->received, left, shared_from_this(),
                 input_.data() + input_end_, receive_space_);
}

void Connection::OnDirectRead(const boost::system::error_code& error, size_t bytes) {
  if (closed_ || error) {
    reading_ = false;
    direct_.reset();
    Close();  // nothing if already closed
    return;
  }
  input_total_ += bytes;
  server_->stats().net_input_bytes.fetch_add(bytes, std::memory_order_relaxed);
  const size_t into_value = std::min(bytes, direct_->length - direct_->received);
  direct_->received += into_value;
  if (direct_->received < direct_->length) {
    ReceiveDirectRest();
    return;
  }
  input_end_ += bytes - into_value;
  receive_filled_ = bytes - into_value == receive_space_;
  reading_ = false;
  SetReceiveMark(1);
  std::string_view value(direct_->destination, direct_->length);
  direct_.reset();
  parser_.TakePendingBulk(value);
  ProcessInput();
}

void Connection::SetReceiveMark(size_t bytes) {
  int mark = static_cast<int>(bytes);
  if (mark == receive_mark_) return;
  // Best effort: without the mark, the receive only wakes more often.
  if (setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVLOWAT, &mark, sizeof(mark)) == 0) {
    receive_mark_ = mark;
  }
}

void Connection::Write() {
  if (writing_ || closed_ || output_.empty()) return;
  // Plain TCP: send at once what the socket takes. Asio's async_write would post even a
  // complete send's completion, a trip through the scheduler (and its epoll poll) per reply.
  if (!tls_ && !SendNow()) return;
  pieces_.clear();
  output_.Peek(&pieces_, kMaxWritePieces);
  auto on_write = [self = shared_from_this()](const boost::system::error_code& error,
                                              size_t bytes) { self->OnWrite(error, bytes); };
  writing_ = true;
  if (tls_) {
    // SSL_write takes one buffer at a time: gather the small pieces at the front; a
    // large one goes alone. Either way the bytes are a prefix of output_.
    if (pieces_.front().size >= kTlsGatherPiece) {
      asio::async_write(*tls_, asio::buffer(pieces_.front().data, pieces_.front().size),
                        std::move(on_write));
      return;
    }
    tls_scratch_.clear();
    for (const auto& piece : pieces_) {
      if (piece.size >= kTlsGatherPiece || tls_scratch_.size() + piece.size > kTlsGatherMax) break;
      tls_scratch_.append(piece.data, piece.size);
    }
    asio::async_write(*tls_, asio::buffer(tls_scratch_), std::move(on_write));
    return;
  }
  if (pieces_.size() == 1) {  // the usual reply: no buffer sequence to allocate
    asio::async_write(socket_, asio::buffer(pieces_.front().data, pieces_.front().size),
                      TransferAll{}, std::move(on_write));
    return;
  }
  std::vector<asio::const_buffer> buffers;
  buffers.reserve(pieces_.size());
  for (const auto& piece : pieces_) buffers.emplace_back(piece.data, piece.size);
  asio::async_write(socket_, buffers, TransferAll{}, std::move(on_write));
}

bool Connection::SendNow() {
  pieces_.clear();
  output_.Peek(&pieces_, kMaxWritePieces);
  std::array<asio::const_buffer, kMaxWritePieces> buffers;
  for (size_t i = 0; i < pieces_.size(); ++i) {
    buffers[i] = asio::const_buffer(pieces_[i].data, pieces_[i].size);
  }
  boost::system::error_code error;
  size_t sent =
      socket_.send(std::span<const asio::const_buffer>(buffers.data(), pieces_.size()), 0, error);
  if (error == asio::error::would_block || error == asio::error::try_again) {
    sent = 0;
    error = {};
  }
  if (error) {
    Close();
    return false;
  }
  output_.Consume(sent);
  output_buffer_bytes_.store(output_.size(), std::memory_order_relaxed);
  server_->stats().net_output_bytes.fetch_add(sent, std::memory_order_relaxed);
  if (!output_.empty()) return true;
  if (client_->close_after_reply) Close();
  return false;
}

void Connection::OnWrite(const boost::system::error_code& error, size_t bytes) {
  writing_ = false;
  if (closed_) return;
  if (error) {
    Close();
    return;
  }
  output_.Consume(bytes);
  output_buffer_bytes_.store(output_.size(), std::memory_order_relaxed);
  server_->stats().net_output_bytes.fetch_add(bytes, std::memory_order_relaxed);
  if (!output_.empty()) {
    Write();
  } else if (client_->close_after_reply) {
    Close();
  }
}

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  client_->received_value.reset();
  boost::system::error_code ignored;
  if (handshake_timer_) handshake_timer_->cancel();
  if (drain_timer_) drain_timer_->cancel();
  {
    std::lock_guard lock(socket_mu_);
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }
  output_.Clear();
  if (pause_timer_) pause_timer_->cancel();
  if (client_->monitor) server_->monitors().Remove(client_->id());
  server_->Unregister(client_->id());
}

}  // namespace crescent::server
