#include "tools/crescent_cli/connection.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cerrno>
#include <cmath>
#include <cstring>

namespace crescent::cli {
namespace {

constexpr size_t kReadChunk = 1 << 20;

std::string OpenSslError(const char* what) {
  unsigned long e = ERR_get_error();
  char buf[256];
  if (e == 0) return what;
  ERR_error_string_n(e, buf, sizeof(buf));
  ERR_clear_error();
  return std::string(what) + ": " + buf;
}

// Connects `fd` to `addr` within `timeout_s`; returns 0 or an errno.
int ConnectWithin(int fd, const addrinfo* ai, double timeout_s) {
  int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
  int err = 0;
  if (rc != 0) {
    if (errno != EINPROGRESS) return errno;
    pollfd p{fd, POLLOUT, 0};
    int n;
    do {
      n = poll(&p, 1, static_cast<int>(std::ceil(timeout_s * 1000)));
    } while (n < 0 && errno == EINTR);
    if (n == 0) return ETIMEDOUT;
    if (n < 0) return errno;
    socklen_t len = sizeof(err);
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  }
  fcntl(fd, F_SETFL, flags);
  return err;
}

}  // namespace

Connection::~Connection() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  if (fd_ >= 0) close(fd_);
}

void Connection::Open(const std::string& host, int port, double timeout_s, const TlsSettings& tls) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0) {
    throw ConnectionError(std::string("cannot resolve ") + host + ": " + gai_strerror(rc));
  }
  int last = ECONNREFUSED;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last = errno;
      continue;
    }
    last = ConnectWithin(fd, ai, timeout_s);
    if (last == 0) {
      fd_ = fd;
      break;
    }
    close(fd);
  }
  freeaddrinfo(res);
  if (fd_ < 0) throw ConnectionError(std::strerror(last));
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout_s);
  tv.tv_usec = static_cast<suseconds_t>((timeout_s - static_cast<double>(tv.tv_sec)) * 1e6);
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (!tls.enabled) return;

  ctx_ = SSL_CTX_new(TLS_client_method());
  if (ctx_ == nullptr) throw ConnectionError(OpenSslError("TLS setup failed"));
  if (!tls.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx_, tls.ca_file.c_str(), nullptr) != 1) {
      throw ConnectionError(OpenSslError(("cannot load the CA certificate " + tls.ca_file).c_str()));
    }
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
  }
  if (!tls.cert_file.empty() &&
      SSL_CTX_use_certificate_chain_file(ctx_, tls.cert_file.c_str()) != 1) {
    throw ConnectionError(OpenSslError(("cannot load the certificate " + tls.cert_file).c_str()));
  }
  if (!tls.key_file.empty() &&
      SSL_CTX_use_PrivateKey_file(ctx_, tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    throw ConnectionError(OpenSslError(("cannot load the key " + tls.key_file).c_str()));
  }
  ssl_ = SSL_new(ctx_);
  SSL_set_fd(ssl_, fd_);
  in6_addr ip6;
  in_addr ip4;
  if (inet_pton(AF_INET, host.c_str(), &ip4) != 1 && inet_pton(AF_INET6, host.c_str(), &ip6) != 1) {
    SSL_set_tlsext_host_name(ssl_, host.c_str());
  }
  if (SSL_connect(ssl_) != 1) {
    long verify = SSL_get_verify_result(ssl_);
    if (verify != X509_V_OK) {
      throw ConnectionError(std::string("TLS handshake failed: ") +
                            X509_verify_cert_error_string(verify));
    }
    throw ConnectionError(OpenSslError("TLS handshake failed"));
  }
}

void Connection::SendAll(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n;
    if (ssl_ != nullptr) {
      n = SSL_write(ssl_, bytes.data(), static_cast<int>(std::min<size_t>(bytes.size(), 1 << 30)));
      if (n <= 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) throw ConnectionError("timed out sending");
        throw ConnectionError(OpenSslError("TLS write failed"));
      }
    } else {
      n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) throw ConnectionError("timed out sending");
        throw ConnectionError(std::string("send: ") + std::strerror(errno));
      }
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

void Connection::ReadMore(size_t want) {
  size_t unparsed = in_end_ - in_pos_;
  if (in_pos_ > 0) {
    std::memmove(in_.data(), in_.data() + in_pos_, unparsed);
    in_pos_ = 0;
    in_end_ = unparsed;
  }
  size_t capacity = std::max(want, unparsed + kReadChunk);
  if (in_.size() < capacity) in_.resize(capacity);
  size_t room = in_.size() - in_end_;
  for (;;) {
    ssize_t n;
    if (ssl_ != nullptr) {
      n = SSL_read(ssl_, in_.data() + in_end_, static_cast<int>(std::min<size_t>(room, 1 << 30)));
      if (n <= 0) {
        int err = SSL_get_error(ssl_, static_cast<int>(n));
        if (err == SSL_ERROR_ZERO_RETURN) throw ConnectionError("the server closed the connection");
        if (errno == EAGAIN || errno == EWOULDBLOCK) throw ConnectionError("timed out waiting for a reply");
        throw ConnectionError(OpenSslError("the server closed the connection"));
      }
    } else {
      n = recv(fd_, in_.data() + in_end_, room, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        int e = errno;
        if (n == 0) throw ConnectionError("the server closed the connection");
        if (e == EAGAIN || e == EWOULDBLOCK) throw ConnectionError("timed out waiting for a reply");
        throw ConnectionError(std::string("recv: ") + std::strerror(e));
      }
    }
    in_end_ += static_cast<size_t>(n);
    return;
  }
}

protocol::Reply Connection::ReadReply() {
  for (;;) {
    size_t consumed = 0;
    protocol::Reply reply;
    std::span<const char> input(in_.data() + in_pos_, in_end_ - in_pos_);
    switch (parser_.Parse(input, &consumed, &reply)) {
      case protocol::ParseStatus::kOk:
        in_pos_ += consumed;
        return reply;
      case protocol::ParseStatus::kError:
        throw ConnectionError(parser_.error());
      case protocol::ParseStatus::kNeedMore:
        ReadMore(parser_.bytes_needed());
        break;
    }
  }
}

protocol::Reply Connection::Command(std::span<const std::string_view> args) {
  std::string request;
  protocol::AppendRequest(&request, args);
  SendAll(request);
  return ReadReply();
}

std::vector<protocol::Reply> Connection::Pipeline(const std::string& requests, size_t count) {
  SendAll(requests);
  std::vector<protocol::Reply> replies;
  replies.reserve(count);
  for (size_t i = 0; i < count; ++i) replies.push_back(ReadReply());
  return replies;
}

}  // namespace crescent::cli
