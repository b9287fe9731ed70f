#include "server/errors.h"

#include <fmt/format.h>

namespace crescent::server::errors {

namespace {

// Redis replaces CR and LF in echoed client text so the error stays one line.
std::string Sanitize(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return out;
}

}  // namespace

std::string WrongArity(std::string_view full_name) {
  return fmt::format("ERR wrong number of arguments for '{}' command", full_name);
}

std::string UnknownCommand(std::string_view name, std::span<const std::string_view> args) {
  // As Redis: the name cut at 128 bytes, then quoted arguments until 128 bytes are shown.
  std::string shown;
  for (size_t i = 1; i < args.size() && shown.size() < 128; ++i) {
    shown += fmt::format("'{}' ", args[i].substr(0, 128 - shown.size()));
  }
  return Sanitize(fmt::format("ERR unknown command '{}', with args beginning with: {}",
                              name.substr(0, 128), shown));
}

std::string UnknownSubcommand(std::string_view sub, std::string_view container) {
  std::string upper(container);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return Sanitize(fmt::format("ERR unknown subcommand '{}'. Try {} HELP.", sub.substr(0, 128), upper));
}

std::string InvalidExpireTime(std::string_view command) {
  return fmt::format("ERR invalid expire time in '{}' command", command);
}

std::string ErrorText(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return "";
    case StatusCode::kNotFound:
      return std::string(kNoSuchKey);
    case StatusCode::kOutOfMemory:
      return std::string(kOom);
    case StatusCode::kNotInteger:
      return std::string(kNotInteger);
    case StatusCode::kNotFloat:
      return std::string(kNotFloat);
    case StatusCode::kOverflow:
      return std::string(kOverflow);
    case StatusCode::kTooLarge:
      return std::string(kStringTooLong);
    case StatusCode::kAlreadyExists:
      return "OBJECT_ALREADY_EXISTS " + (status.message().empty() ? std::string("object already exists") : status.message());
    case StatusCode::kHasLease:
      return "OBJECT_HAS_LEASE " + (status.message().empty() ? std::string("object has a lease") : status.message());
    case StatusCode::kNotReady:
      return "REPLICA_IS_NOT_READY " + (status.message().empty() ? std::string("no replica is complete") : status.message());
    case StatusCode::kNoSegment:
      return "NO_AVAILABLE_HANDLE " + (status.message().empty() ? std::string("no segment can hold the object") : status.message());
    case StatusCode::kInvalidArgument:
      return "ERR " + status.message();
    case StatusCode::kIoError:
      return "IOERR " + (status.message().empty() ? std::string("disk tier failed") : status.message());
    case StatusCode::kCorruption:
      return "CORRUPTION " + (status.message().empty() ? std::string("checksum mismatch") : status.message());
    case StatusCode::kInternal:
      break;
  }
  return "ERR internal error" + (status.message().empty() ? std::string() : ": " + status.message());
}

}  // namespace crescent::server::errors
