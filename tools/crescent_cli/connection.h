// Connection: one blocking connection to the server, over TCP or TLS (OpenSSL), that sends
// commands and pipelines and reads their replies with protocol/'s ReplyParser.
//
// Failures are reported as ConnectionError (an exception: the tool gives up on the first
// one, with exit code 3); error replies from the server are ordinary Reply values.
// Every read and write waits at most `timeout` (SO_RCVTIMEO / SO_SNDTIMEO), and so does
// connect. One thread.
#pragma once

#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/reply_parser.h"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace crescent::cli {

class ConnectionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TlsSettings {
  bool enabled = false;
  std::string ca_file;    // verify the server's chain against it; empty: not verified
  std::string cert_file;  // client certificate (PEM)
  std::string key_file;   // client private key (PEM)
};

class Connection {
 public:
  Connection() = default;
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Connects (and completes the TLS handshake). Throws ConnectionError.
  void Open(const std::string& host, int port, double timeout_s, const TlsSettings& tls);

  // One command, its reply.
  protocol::Reply Command(std::span<const std::string_view> args);
  protocol::Reply Command(std::initializer_list<std::string_view> args) {
    return Command(std::span<const std::string_view>(args.begin(), args.size()));
  }
  // Sends every request of `requests` (already encoded with protocol::AppendRequest) in
  // one write, then reads `count` replies in order.
  std::vector<protocol::Reply> Pipeline(const std::string& requests, size_t count);

 private:
  void SendAll(std::string_view bytes);
  // Reads more bytes after in_end_, making room for at least `want` unparsed bytes in
  // all; throws on EOF, timeout or error.
  void ReadMore(size_t want);
  protocol::Reply ReadReply();

  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::vector<char> in_;  // bytes received and not yet parsed: [in_pos_, in_end_)
  size_t in_pos_ = 0;
  size_t in_end_ = 0;
  protocol::ReplyParser parser_;
};

}  // namespace crescent::cli
