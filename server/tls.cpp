#include "server/tls.h"

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace crescent::server {

namespace asio = boost::asio;
using config::OptionId;

namespace {

Status Bad(std::string_view option, const std::string& path, std::string_view what) {
  return Status(StatusCode::kInvalidArgument, fmt::format("{}: '{}': {}", option, path, what));
}

// A readable file, or the reason it is not (OpenSSL's own messages for a missing file
// are less plain).
Status CheckReadable(std::string_view option, const std::string& path) {
  if (path.empty()) {
    return Status(StatusCode::kInvalidArgument,
                  fmt::format("tls-port is set but {} is empty", option));
  }
  std::ifstream file(path);
  if (!file) return Bad(option, path, std::strerror(errno));
  return Status::Ok();
}

}  // namespace

StatusOr<std::unique_ptr<asio::ssl::context>> MakeTlsContext(const config::Config& config) {
  std::string cert = config.String(OptionId::kTlsCertFile);
  std::string key = config.String(OptionId::kTlsKeyFile);
  std::string ca = config.String(OptionId::kTlsCaCertFile);
  if (Status s = CheckReadable("tls-cert-file", cert); !s.ok()) return s;
  if (Status s = CheckReadable("tls-key-file", key); !s.ok()) return s;
  if (!ca.empty()) {
    if (Status s = CheckReadable("tls-ca-cert-file", ca); !s.ok()) return s;
  }

  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  boost::system::error_code error;
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                           asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                           asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use,
                       error);
  context->use_certificate_chain_file(cert, error);
  if (error) return Bad("tls-cert-file", cert, "not a PEM certificate: " + error.message());
  context->use_private_key_file(key, asio::ssl::context::pem, error);
  if (error && ERR_GET_REASON(static_cast<unsigned long>(error.value())) ==
                   X509_R_KEY_VALUES_MISMATCH) {
    return Bad("tls-key-file", key, fmt::format("does not match the certificate in '{}'", cert));
  }
  if (error) return Bad("tls-key-file", key, "not a PEM private key: " + error.message());
  SSL_CTX* native = context->native_handle();
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    return Bad("tls-key-file", key, fmt::format("does not match the certificate in '{}'", cert));
  }
  static constexpr unsigned char kSessionContext[] = "crescent";
  SSL_CTX_set_session_id_context(native, kSessionContext, sizeof(kSessionContext) - 1);
  if (!ca.empty()) {
    context->load_verify_file(ca, error);
    if (error) return Bad("tls-ca-cert-file", ca, "not a PEM certificate: " + error.message());
    // Tells clients which CA their certificate must chain to.
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(ca.c_str())) {
      SSL_CTX_set_client_CA_list(native, names);
    }
    ERR_clear_error();
    context->set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
  } else {
    context->set_verify_mode(asio::ssl::verify_none);
  }
  return context;
}

}  // namespace crescent::server
