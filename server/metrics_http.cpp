#include "server/metrics_http.h"

#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <optional>

#include "server/metrics.h"
#include "server/server.h"
#include "server/version.h"

namespace crescent::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string Endpoint(const tcp::endpoint& e) {
  if (e.address().is_v6()) return fmt::format("[{}]:{}", e.address().to_string(), e.port());
  return fmt::format("{}:{}", e.address().to_string(), e.port());
}

Response Text(http::status status, unsigned version, std::string body,
              std::string_view content_type = "text/plain; charset=utf-8") {
  Response res{status, version};
  res.set(http::field::server, fmt::format("crescent/{}", kCrescentVersion));
  res.set(http::field::content_type, beast::string_view(content_type.data(), content_type.size()));
  res.body() = std::move(body);
  return res;
}

Response Health(Server& server, unsigned version) {
  bool stopping = server.shutting_down();
  int64_t uptime_s = (server.clock().NowMs() - server.start_time_ms()) / 1000;
  std::string body = fmt::format("{{\"status\":\"{}\",\"uptime_seconds\":{},\"keys\":{}}}\n",
                                 stopping ? "shutting_down" : "ok", uptime_s, server.store().Size());
  // 503 tells a load balancer or an orchestrator to stop sending clients here while the
  // server drains its connections.
  return Text(stopping ? http::status::service_unavailable : http::status::ok, version,
              std::move(body), "application/json");
}

Response Answer(Server& server, const Request& req) {
  std::string_view target(req.target().data(), req.target().size());
  std::string_view path = target.substr(0, target.find('?'));  // a query string is ignored
  bool known = path == "/metrics" || path == "/health";
  if (!known) return Text(http::status::not_found, req.version(), "not found\n");
  if (req.method() != http::verb::get) {
    Response res = Text(http::status::method_not_allowed, req.version(), "method not allowed\n");
    res.set(http::field::allow, "GET");
    return res;
  }
  if (path == "/health") return Health(server, req.version());
  return Text(http::status::ok, req.version(), RenderServerMetrics(server), kMetricsContentType);
}

}  // namespace

// One HTTP connection: read a request, answer it, and again while the client keeps the
// connection alive. Lives on the listener's thread; kept alive by its pending handlers.
class MetricsHttpServer::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(MetricsHttpServer* owner, tcp::socket socket)
      : owner_(owner), stream_(std::move(socket)), buffer_(kMaxHeaderBytes + kMaxBodyBytes) {}

  void Read() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(kMaxHeaderBytes));
    parser_->body_limit(kMaxBodyBytes);
    // The deadline covers the whole request, not each byte: a client that trickles
    // its headers is cut off all the same.
    stream_.expires_after(kIoTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code error, size_t) {
                       self->OnRead(error);
                     });
  }

  // Closes now, abandoning any operation in flight. Idempotent.
  void Close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    owner_->Forget(this);
  }

 private:
  void OnRead(beast::error_code error) {
    if (closed_) return;
    if (error == http::error::header_limit || error == http::error::buffer_overflow) {
      return Send(Text(http::status::request_header_fields_too_large, 11,
                       "request headers too large\n"), false);
    }
    if (error == http::error::body_limit) {
      return Send(Text(http::status::payload_too_large, 11, "request body too large\n"), false);
    }
    if (error && error.category() == http::make_error_code(http::error::bad_target).category() &&
        error != http::error::end_of_stream && error != http::error::partial_message) {
      return Send(Text(http::status::bad_request, 11, "bad request\n"), false);
    }
    // The client closed, timed out, or the socket failed: nothing to answer.
    if (error) return Close();
    const Request& req = parser_->get();
    Send(Answer(*owner_->server_, req), req.keep_alive());
  }

  void Send(Response res, bool keep_alive) {
    response_ = std::move(res);
    response_.keep_alive(keep_alive);
    response_.prepare_payload();
    stream_.expires_after(kIoTimeout);
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code error, size_t) {
                        if (error || !self->response_.keep_alive()) return self->Close();
                        self->Read();
                      });
  }

  MetricsHttpServer* owner_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Response response_;
  bool closed_ = false;
};

MetricsHttpServer::MetricsHttpServer(Server* server) : server_(server) {}

MetricsHttpServer::~MetricsHttpServer() { Stop(); }

Status MetricsHttpServer::Start(const std::string& bind, uint16_t port) {
  boost::system::error_code error;
  auto address = asio::ip::make_address(bind, error);
  if (error) {
    return Status(StatusCode::kInvalidArgument,
                  fmt::format("metrics-bind: '{}' is not an IP address", bind));
  }
  tcp::endpoint endpoint(address, port);
  acceptor_.open(endpoint.protocol(), error);
  if (!error) acceptor_.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) acceptor_.bind(endpoint, error);
  if (!error) acceptor_.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    return Status(StatusCode::kIoError,
                  fmt::format("cannot listen on {} for metrics: {} (set metrics-port 0 to turn "
                              "it off)", Endpoint(endpoint), error.message()));
  }
  port_ = acceptor_.local_endpoint().port();
  Accept();
  thread_ = std::thread([this] { context_.run(); });
  spdlog::info("metrics on http://{}/metrics and /health",
               Endpoint(tcp::endpoint(address, port_)));
  return Status::Ok();
}

void MetricsHttpServer::Accept() {
  acceptor_.async_accept([this](const boost::system::error_code& error, tcp::socket socket) {
    if (error == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (error) {
      spdlog::warn("metrics: accept failed: {}", error.message());
    } else if (sessions_.size() >= kMaxConnections) {
      boost::system::error_code ignored;
      socket.close(ignored);  // a scraper needs one connection; this is a flood
    } else {
      auto session = std::make_shared<Session>(this, std::move(socket));
      sessions_.emplace(session.get(), session);
      session->Read();
    }
    Accept();
  });
}

void MetricsHttpServer::Forget(Session* session) { sessions_.erase(session); }

void MetricsHttpServer::Stop() {
  if (!thread_.joinable()) return;
  // Everything is closed on the listener's thread, which owns it; once nothing is
  // pending the thread's run() returns by itself.
  asio::post(context_, [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    auto open = sessions_;  // Close() erases from sessions_
    for (auto& [raw, weak] : open) {
      if (auto session = weak.lock()) session->Close();
    }
  });
  thread_.join();
}

}  // namespace crescent::server
