// TLS: the server's ssl::context, built once at start-up from tls-cert-file,
// tls-key-file and (optionally) tls-ca-cert-file. With a CA file, every client must
// present a certificate that chains to it (verify_peer | verify_fail_if_no_peer_cert).
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>

#include "common/status.h"
#include "config/options.h"

namespace crescent::server {

// A bad or missing file gives a message naming the option and the file.
StatusOr<std::unique_ptr<boost::asio::ssl::context>> MakeTlsContext(const config::Config& config);

}  // namespace crescent::server
