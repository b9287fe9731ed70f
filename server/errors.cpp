#include "server/errors.h"

#include <algorithm>
#include <cctype>

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
  // Scripting is out of scope on purpose: say so rather than "unknown command".
  static constexpr std::string_view kScripting[] = {
      "eval", "evalsha", "eval_ro", "evalsha_ro", "script", "function", "fcall", "fcall_ro"};
  for (std::string_view s : kScripting) {
    if (name.size() == s.size() &&
        std::equal(s.begin(), s.end(), name.begin(), [](char a, char b) {
          return a == std::tolower(static_cast<unsigned char>(b));
        })) {
      return std::string(kScriptingNotSupported);
    }
  }
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

std::string SubcommandSyntax(std::string_view sub, std::string_view container) {
  std::string upper(container);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return Sanitize(fmt::format(
      "ERR unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
      sub.substr(0, 128), upper));
}

std::string InvalidExpireTime(std::string_view command) {
  return fmt::format("ERR invalid expire time in '{}' command", command);
}

std::string HelloSyntax(std::string_view option) {
  return Sanitize(fmt::format("ERR Syntax error in HELLO option '{}'", option));
}

std::string BadClientInfoValue(std::string_view attribute) {
  return Sanitize(fmt::format("ERR {} cannot contain spaces, newlines or special characters.",
                              attribute));
}

std::string UnrecognizedClientInfoOption(std::string_view option) {
  return Sanitize(fmt::format("ERR Unrecognized option '{}'", option));
}

std::string UnknownClientType(std::string_view type) {
  return Sanitize(fmt::format("ERR Unknown client type '{}'", type));
}

std::string NoSuchUser(std::string_view name) {
  return Sanitize(fmt::format("ERR No such user '{}'", name));
}

std::string ExpireUnsupportedOption(std::string_view option) {
  return Sanitize(fmt::format("ERR Unsupported option {}", option));
}

std::string ConfigSetDuplicate(std::string_view name) {
  return Sanitize(fmt::format(
      "ERR CONFIG SET failed (possibly related to argument '{}') - duplicate parameter", name));
}

std::string ConfigSetFailed(std::string_view message) { return Sanitize(fmt::format("ERR {}", message)); }

std::string RewriteCannotWrite(std::string_view path) {
  return fmt::format("ERR Rewriting config file: cannot write {}", path);
}

std::string RewriteFailed(std::string_view why) {
  return fmt::format("ERR Rewriting config file: {}", why);
}

std::string NoPermCommand(std::string_view full_name) {
  return fmt::format("NOPERM this user has no permissions to run the '{}' command", full_name);
}

std::string InvalidParams(std::string_view why) {
  return Sanitize(fmt::format("INVALID_PARAMS {}", why));
}

std::string InvalidRegex(std::string_view why) {
  return Sanitize(fmt::format("INVALID_PARAMS invalid regular expression: {}", why));
}

std::string SegmentNotFound(std::string_view name) {
  return Sanitize(fmt::format("SEGMENT_NOT_FOUND no segment named '{}'", name));
}

std::string SegmentExists(std::string_view name) {
  return Sanitize(fmt::format("SEGMENT_ALREADY_EXISTS segment '{}' is already mounted", name));
}

std::string HomeSegmentNotUnmountable(std::string_view name) {
  return Sanitize(fmt::format(
      "INVALID_PARAMS segment '{}' is this node's own and holds its small objects; it cannot "
      "be unmounted",
      name));
}

std::string ErrorText(const Status& status, ErrorStyle style) {
  bool object = style == ErrorStyle::kObject;
  switch (status.code()) {
    case StatusCode::kOk:
      return "";
    case StatusCode::kNotFound:
      return object ? "OBJECT_NOT_FOUND no such object" : std::string(kNoSuchKey);
    case StatusCode::kOutOfMemory:
      // The pool had no room even after evicting what it could (see Dispatch's note on
      // deny-oom): Redis's OOM text, or Mooncake's name for "nowhere to put it".
      return object ? "NO_AVAILABLE_HANDLE no segment can hold the value" : std::string(kOom);
    case StatusCode::kNotInteger:
      return std::string(kNotInteger);
    case StatusCode::kNotFloat:
      return std::string(kNotFloat);
    case StatusCode::kOverflow:
      return std::string(kOverflow);
    case StatusCode::kTooLarge:
      return std::string(kStringTooLong);
    case StatusCode::kAlreadyExists:
      return "OBJECT_ALREADY_EXISTS the object already exists";
    case StatusCode::kHasLease:
      return "OBJECT_HAS_LEASE the object is leased; use FORCE to remove it";
    case StatusCode::kNotReady:
      return "REPLICA_IS_NOT_READY no replica is complete";
    case StatusCode::kNoSegment:
      return "NO_AVAILABLE_HANDLE no segment can hold the object";
    case StatusCode::kInvalidArgument:
      return object ? "INVALID_PARAMS invalid parameters" : std::string(kSyntax);
    case StatusCode::kIoError:
      return "IOERR the disk tier failed";
    case StatusCode::kCorruption:
      return "CORRUPTION checksum mismatch";
    case StatusCode::kBusy:
      return "BUSY try again later";
    case StatusCode::kSegmentNotFound:
      return "SEGMENT_NOT_FOUND no such segment";
    case StatusCode::kSegmentExists:
      return "SEGMENT_ALREADY_EXISTS the segment is already mounted";
    case StatusCode::kOverBudget:
      return std::string(kMatchBudget);
    case StatusCode::kInternal:
      break;
  }
  return "ERR internal error";
}

std::string SegmentErrorText(const Status& status, std::string_view name) {
  switch (status.code()) {
    case StatusCode::kSegmentNotFound:
      return SegmentNotFound(name);
    case StatusCode::kSegmentExists:
      return SegmentExists(name);
    default:
      return ErrorText(status, ErrorStyle::kObject);
  }
}

}  // namespace crescent::server::errors
