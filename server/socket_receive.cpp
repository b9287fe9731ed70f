#include "server/socket_receive.h"

#include <boost/asio/detail/reactor.hpp>
#include <boost/asio/detail/reactor_op.hpp>
#include <boost/asio/detail/socket_ops.hpp>
#include <boost/version.hpp>
#include <array>
#include <utility>

// The reactor calls below (start_op, per_descriptor_data, the reactor_op protocol) are
// those of Boost 1.74's epoll_reactor; later versions changed start_op's signature.
#if BOOST_VERSION == 107400 && defined(BOOST_ASIO_HAS_EPOLL)
#define CRESCENT_REACTOR_RECEIVE 1
#else
#define CRESCENT_REACTOR_RECEIVE 0
#endif

namespace crescent::server {

namespace asio = boost::asio;

#if CRESCENT_REACTOR_RECEIVE

namespace {
// The socket's reactor registration is a protected member of basic_socket; a pointer to
// member taken in a derived class reaches it without changing the socket's type.
struct SocketAccess : asio::ip::tcp::socket {
  static auto& Implementation(asio::ip::tcp::socket& socket) {
    return (socket.*&SocketAccess::impl_).get_implementation();
  }
};
}  // namespace

class SocketReceive::Operation : public asio::detail::reactor_op {
 public:
  Operation(Callback callback, void* target)
      : reactor_op(boost::system::error_code(), &Perform, &Complete),
        callback_(callback), target_(target) {}

  void Start(asio::ip::tcp::socket& socket, char* data, size_t size,
             std::shared_ptr<void> keep_alive, char* more, size_t more_size) {
    socket_ = socket.native_handle();
    buffers_[0] = {data, size};
    buffers_[1] = {more, more_size};
    ec_ = {};
    bytes_transferred_ = 0;
    keep_alive_ = std::move(keep_alive);
    auto& reactor = asio::use_service<asio::detail::reactor>(
        asio::query(socket.get_executor(), asio::execution::context));
    reactor.start_op(asio::detail::reactor::read_op, socket_,
                     SocketAccess::Implementation(socket).reactor_data_, this,
                     /*is_continuation=*/false, /*allow_speculative=*/true);
  }

 private:
  static status Perform(reactor_op* base) {
    auto* self = static_cast<Operation*>(base);
    namespace ops = asio::detail::socket_ops;
    const bool two = self->buffers_[1].iov_len > 0;
    const bool finished =
        two ? ops::non_blocking_recv(self->socket_, self->buffers_, 2, 0, /*is_stream=*/true,
                                     self->ec_, self->bytes_transferred_)
            : ops::non_blocking_recv1(self->socket_, self->buffers_[0].iov_base,
                                      self->buffers_[0].iov_len, 0, /*is_stream=*/true,
                                      self->ec_, self->bytes_transferred_);
    if (!finished) {
      return not_done;  // EAGAIN: wait for the next edge
    }
    // A short receive took everything the socket had (end of stream included).
    if (self->ec_ == asio::error::eof ||
        (!self->ec_ &&
         self->bytes_transferred_ < self->buffers_[0].iov_len + self->buffers_[1].iov_len)) {
      return done_and_exhausted;
    }
    return done;
  }

  // owner null: the io_context is being destroyed with this receive still queued.
  static void Complete(void* owner, asio::detail::scheduler_operation* base,
                       const boost::system::error_code&, size_t) {
    auto* self = static_cast<Operation*>(base);
    // Released after the callback, which may start the next receive (and set keep_alive_
    // again); releasing it may destroy this object, which nothing touches after.
    std::shared_ptr<void> keep_alive = std::move(self->keep_alive_);
    if (owner != nullptr) self->callback_(self->target_, self->ec_, self->bytes_transferred_);
  }

  Callback callback_;
  void* target_;
  asio::detail::socket_type socket_ = -1;
  asio::detail::socket_ops::buf buffers_[2] = {};  // the second one empty when unused
  std::shared_ptr<void> keep_alive_;
};

SocketReceive::SocketReceive(Callback callback, void* target)
    : operation_(std::make_unique<Operation>(callback, target)) {}

void SocketReceive::Start(asio::ip::tcp::socket& socket, char* data, size_t size,
                          std::shared_ptr<void> keep_alive, char* more, size_t more_size) {
  operation_->Start(socket, data, size, std::move(keep_alive), more, more_size);
}

#else  // !CRESCENT_REACTOR_RECEIVE

class SocketReceive::Operation {
 public:
  Operation(Callback callback, void* target) : callback_(callback), target_(target) {}
  Callback callback_;
  void* target_;
};

SocketReceive::SocketReceive(Callback callback, void* target)
    : operation_(std::make_unique<Operation>(callback, target)) {}

void SocketReceive::Start(asio::ip::tcp::socket& socket, char* data, size_t size,
                          std::shared_ptr<void> keep_alive, char* more, size_t more_size) {
  std::array<asio::mutable_buffer, 2> buffers = {asio::buffer(data, size),
                                                 asio::buffer(more, more_size)};
  socket.async_read_some(buffers,
                         [operation = operation_.get(), keep_alive = std::move(keep_alive)](
                             const boost::system::error_code& error, size_t bytes) {
                           operation->callback_(operation->target_, error, bytes);
                         });
}

#endif

SocketReceive::~SocketReceive() = default;

}  // namespace crescent::server
