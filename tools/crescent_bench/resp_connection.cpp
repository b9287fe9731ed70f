#include "tools/crescent_bench/resp_connection.h"

#include "protocol/reply_parser.h"

#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace crescent::bench {

RespConnection::RespConnection(size_t input_capacity) : in_(input_capacity) {
  out_.reserve(64 * 1024);
}

RespConnection::~RespConnection() {
  if (fd_ >= 0) close(fd_);
}

bool RespConnection::Connect(const std::string& host, int port, std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0) {
    *error = "resolve " + host + ": " + gai_strerror(rc);
    return false;
  }
  int saved = 0;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      fd_ = fd;
      break;
    }
    saved = errno;
    close(fd);
  }
  freeaddrinfo(res);
  if (fd_ < 0) {
    *error = "connect " + host + ":" + service + ": " + std::strerror(saved ? saved : ECONNREFUSED);
    return false;
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);
  return true;
}

void RespConnection::ClearOutput() {
  out_.clear();
  external_.clear();
  iov_.clear();
  iov_pos_ = 0;
  iov_built_ = false;
}

void RespConnection::AppendCommand(std::string_view name, std::string_view key) {
  std::string_view args[2] = {name, key};
  protocol::AppendRequest(&out_, args);
}

void RespConnection::AppendSet(std::string_view key, const char* value, size_t len) {
  out_.append("*3\r\n$3\r\nSET\r\n");
  protocol::AppendLengthLine(&out_, '$', key.size());
  out_.append(key);
  out_.append("\r\n");
  protocol::AppendLengthLine(&out_, '$', len);
  if (len <= kCopyLimit) {
    out_.append(value, len);
  } else {
    external_.push_back({out_.size(), iovec{const_cast<char*>(value), len}});
  }
  out_.append("\r\n");
}

void RespConnection::BuildIov() {
  size_t at = 0;
  for (const auto& [offset, ext] : external_) {
    if (offset > at) iov_.push_back(iovec{out_.data() + at, offset - at});
    iov_.push_back(ext);
    at = offset;
  }
  if (out_.size() > at) iov_.push_back(iovec{out_.data() + at, out_.size() - at});
  iov_pos_ = 0;
  iov_built_ = true;
}

IoStatus RespConnection::Flush(std::string* error) {
  if (!iov_built_) BuildIov();
  while (iov_pos_ < iov_.size()) {
    msghdr msg{};
    msg.msg_iov = &iov_[iov_pos_];
    msg.msg_iovlen = std::min<size_t>(iov_.size() - iov_pos_, IOV_MAX);
    ssize_t n = sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return IoStatus::kWouldBlock;
      *error = std::string("send: ") + std::strerror(errno);
      return IoStatus::kError;
    }
    size_t left = static_cast<size_t>(n);
    while (left > 0) {
      iovec& v = iov_[iov_pos_];
      if (left >= v.iov_len) {
        left -= v.iov_len;
        ++iov_pos_;
      } else {
        v.iov_base = static_cast<char*>(v.iov_base) + left;
        v.iov_len -= left;
        left = 0;
      }
    }
  }
  return IoStatus::kDone;
}

IoStatus RespConnection::Receive(ReplySink* sink, std::string* error) {
  for (;;) {
    if (rpos_ == wpos_) {
      rpos_ = wpos_ = 0;
    } else if (wpos_ == in_.size()) {
      if (rpos_ == 0) {
        *error = "reply line longer than the input buffer";
        return IoStatus::kError;
      }
      std::memmove(in_.data(), in_.data() + rpos_, wpos_ - rpos_);
      wpos_ -= rpos_;
      rpos_ = 0;
    }
    ssize_t n = read(fd_, in_.data() + wpos_, in_.size() - wpos_);
    if (n == 0) {
      *error = "connection closed by the server";
      return IoStatus::kError;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return IoStatus::kWouldBlock;
      *error = std::string("read: ") + std::strerror(errno);
      return IoStatus::kError;
    }
    wpos_ += static_cast<size_t>(n);
    bool filled = wpos_ == in_.size();
    if (!Parse(sink, error)) return IoStatus::kError;
    if (!filled) {
      WakeAfter(skip_);
      return IoStatus::kWouldBlock;  // the socket is most likely drained
    }
  }
}

void RespConnection::WakeAfter(uint64_t pending_bulk) {
  // The rest of a large bulk is known to be coming: have the kernel report the socket
  // readable only once a good part of it is there, not at every segment (a 1 MiB reply
  // was about ten wake-ups and reads of this thread, and as many wake-ups done by the
  // sender, on the sender's CPU). The mark never exceeds what is still to come. Between
  // replies it is 1 again: a reply's header may be alone.
  int wanted = static_cast<int>(std::min<uint64_t>(std::max<uint64_t>(pending_bulk, 1), kMaxWakeMark));
  if (wanted == wake_mark_) return;
  if (setsockopt(fd_, SOL_SOCKET, SO_RCVLOWAT, &wanted, sizeof(wanted)) == 0) wake_mark_ = wanted;
}

bool RespConnection::Parse(ReplySink* sink, std::string* error) {
  for (;;) {
    if (skip_ > 0) {
      uint64_t take = std::min<uint64_t>(skip_, wpos_ - rpos_);
      rpos_ += take;
      skip_ -= take;
      if (skip_ > 0) return true;
      if (!sink->OnReply(pending_)) return false;
      continue;
    }
    // The header line is protocol/'s to read; the payload of a bulk is skipped here,
    // uncopied, which is the point of this connection.
    protocol::ReplyLine line;
    size_t used = 0;
    switch (protocol::ParseReplyLine({in_.data() + rpos_, wpos_ - rpos_}, &used, &line, error)) {
      case protocol::ParseStatus::kNeedMore:
        return true;
      case protocol::ParseStatus::kError:
        return false;
      case protocol::ParseStatus::kOk:
        break;
    }
    rpos_ += used;
    Reply r;
    r.type = line.type;
    switch (line.type) {
      case '+':
      case '-':
        r.text = line.text;
        break;
      case ':':
        r.integer = line.number;
        break;
      case '_':
        r.type = '$';
        r.integer = -1;
        break;
      case '$':
        r.integer = line.number;
        if (r.integer >= 0) {
          pending_ = r;
          skip_ = static_cast<uint64_t>(r.integer) + 2;
          continue;
        }
        break;
      default:
        *error = std::string("protocol error: unexpected reply type '") + line.type + "'";
        return false;
    }
    if (!sink->OnReply(r)) return false;
  }
}

}  // namespace crescent::bench
