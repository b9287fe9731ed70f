// server/errors.cpp: statuses from the layers below become fixed RESP error texts.
#include <doctest/doctest.h>

#include <cctype>
#include <string>

#include "server/errors.h"

using namespace crescent;
using namespace crescent::server::errors;

namespace {

constexpr StatusCode kAllCodes[] = {
    StatusCode::kNotFound,      StatusCode::kOutOfMemory,     StatusCode::kNotInteger,
    StatusCode::kNotFloat,      StatusCode::kOverflow,        StatusCode::kTooLarge,
    StatusCode::kAlreadyExists, StatusCode::kHasLease,        StatusCode::kNotReady,
    StatusCode::kNoSegment,     StatusCode::kInvalidArgument, StatusCode::kIoError,
    StatusCode::kCorruption,    StatusCode::kBusy,            StatusCode::kSegmentNotFound,
    StatusCode::kSegmentExists, StatusCode::kInternal,
};

}  // namespace

TEST_CASE("a status's own message never reaches the client") {
  for (StatusCode code : kAllCodes) {
    for (ErrorStyle style : {ErrorStyle::kRedis, ErrorStyle::kObject}) {
      std::string text = ErrorText(Status(code, "/var/lib/secret: rocksdb said so"), style);
      INFO("code " << static_cast<int>(code));
      CHECK(!text.empty());
      CHECK(text.find("secret") == std::string::npos);
      CHECK(text == ErrorText(Status(code), style));  // one text per code and style
      CHECK(text.find('\r') == std::string::npos);
      CHECK(text.find('\n') == std::string::npos);
      // a RESP error starts with its code, in capitals
      CHECK(std::isupper(static_cast<unsigned char>(text[0])));
    }
  }
}

TEST_CASE("out of memory is Redis's OOM for Redis commands, NO_AVAILABLE_HANDLE for objects") {
  CHECK(ErrorText(Status(StatusCode::kOutOfMemory)) == kOom);
  CHECK(ErrorText(Status(StatusCode::kOutOfMemory), ErrorStyle::kObject).rfind("NO_AVAILABLE_HANDLE ", 0) == 0);
  CHECK(ErrorText(Status(StatusCode::kNotFound)) == kNoSuchKey);
  CHECK(ErrorText(Status(StatusCode::kNotFound), ErrorStyle::kObject).rfind("OBJECT_NOT_FOUND ", 0) == 0);
}

TEST_CASE("segment errors name the segment the client gave") {
  CHECK(SegmentErrorText(Status(StatusCode::kSegmentNotFound, "ignored"), "s3") ==
        "SEGMENT_NOT_FOUND no segment named 's3'");
  CHECK(SegmentErrorText(Status(StatusCode::kSegmentExists), "s2") ==
        "SEGMENT_ALREADY_EXISTS segment 's2' is already mounted");
  CHECK(SegmentErrorText(Status(StatusCode::kOutOfMemory), "s2") ==
        ErrorText(Status(StatusCode::kOutOfMemory), ErrorStyle::kObject));
}

TEST_CASE("texts that echo client input stay on one line") {
  CHECK(UnknownClientType("a\r\nb") == "ERR Unknown client type 'a  b'");
  CHECK(InvalidParams("x\ny") == "INVALID_PARAMS x y");
  CHECK(SubcommandSyntax("get", "slowlog") ==
        "ERR unknown subcommand or wrong number of arguments for 'get'. Try SLOWLOG HELP.");
}
