// SocketReceive: a receive on a plain TCP socket that waits for input the way Redis does.
//
// After a reply has gone out, the client's next request is almost never there yet. Asio
// offers two ways to wait for it, and each costs a system call per request that Redis does
// not make: async_read_some first tries a receive (EAGAIN), and async_wait re-arms the
// descriptor (epoll_ctl) every time it is called. The descriptor is already registered,
// edge-triggered, for input; only the reactor's "try first" flag forces the extra call.
//
// This receive, queued in the socket's own reactor, tells the reactor that a receive which
// did not fill its buffer left the socket empty ("exhausted"). The next receive is then
// queued without trying and without epoll_ctl, and runs at the next edge: a request costs
// epoll_wait, recv and send, as in Redis. Input that arrives between a receive and the
// next start raises an edge that sets the flag back, so nothing waits on input already
// there.
//
// Built on Asio's reactor internals as they are in Boost 1.74 (Debian 12). With another
// Boost, Start falls back to async_read_some: correct, one system call dearer.
//
// At most one receive is in flight. The owner keeps the object alive while it is.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <memory>

namespace crescent::server {

class SocketReceive {
 public:
  // Called on the socket's io_context thread, never from inside Start. `target` is the
  // pointer given to the constructor.
  using Callback = void (*)(void* target, const boost::system::error_code& error, size_t bytes);

  SocketReceive(Callback callback, void* target);
  ~SocketReceive();
  SocketReceive(const SocketReceive&) = delete;
  SocketReceive& operator=(const SocketReceive&) = delete;

  // Receives at most `size` bytes into `data`, then at most `more_size` into `more`, in
  // one system call, once the socket has input (at least one byte, or an error; end of
  // stream is boost::asio::error::eof). `keep_alive` is held until just after the
  // callback returns, or until the io_context drops the receive unfinished at its
  // destruction (then the callback is not called).
  void Start(boost::asio::ip::tcp::socket& socket, char* data, size_t size,
             std::shared_ptr<void> keep_alive, char* more = nullptr, size_t more_size = 0);

  class Operation;

 private:
  std::unique_ptr<Operation> operation_;
};

}  // namespace crescent::server
