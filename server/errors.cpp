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

std::string ErrorText(const Status& status, ErrorStyle style) {
  auto with = [&](std::string_view code, std::string_view fallback) {
    return fmt::format("{} {}", code, status.message().empty() ? fallback : status.message());
  };
  switch (status.code()) {
    case StatusCode::kOk:
      return "";
    case StatusCode::kNotFound:
      return style == ErrorStyle::kObject ? with("OBJECT_NOT_FOUND", "no such object")
                                          : std::string(kNoSuchKey);
    case StatusCode::kOutOfMemory:
      return style == ErrorStyle::kObject
                 ? with("NO_AVAILABLE_HANDLE", "no segment has room for the object")
                 : std::string(kOom);
    case StatusCode::kNotInteger:
      return std::string(kNotInteger);
    case StatusCode::kNotFloat:
      return std::string(kNotFloat);
    case StatusCode::kOverflow:
      return std::string(kOverflow);
    case StatusCode::kTooLarge:
      return std::string(kStringTooLong);
    case StatusCode::kAlreadyExists:
      return with("OBJECT_ALREADY_EXISTS", "the object already exists");
    case StatusCode::kHasLease:
      return with("OBJECT_HAS_LEASE", "the object is leased; use FORCE to remove it");
    case StatusCode::kNotReady:
      return with("REPLICA_IS_NOT_READY", "no replica is complete");
    case StatusCode::kNoSegment:
      return with("NO_AVAILABLE_HANDLE", "no segment can hold the object");
    case StatusCode::kInvalidArgument:
      return style == ErrorStyle::kObject ? with("INVALID_PARAMS", "invalid parameters")
                                          : "ERR " + status.message();
    case StatusCode::kIoError:
      return with("IOERR", "the disk tier failed");
    case StatusCode::kCorruption:
      return with("CORRUPTION", "checksum mismatch");
    case StatusCode::kBusy:
      return with("BUSY", "try again later");
    case StatusCode::kSegmentNotFound:
      return with("SEGMENT_NOT_FOUND", "no such segment");
    case StatusCode::kSegmentExists:
      return with("SEGMENT_ALREADY_EXISTS", "the segment is already mounted");
    case StatusCode::kOverBudget:
      return std::string(kMatchBudget);
    case StatusCode::kInternal:
      break;
  }
  return "ERR internal error" + (status.message().empty() ? std::string() : ": " + status.message());
}

}  // namespace crescent::server::errors
