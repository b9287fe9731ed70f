// Status and StatusOr<T>: how every request path reports failure (no exceptions there).
//
// A Status is a code plus an optional message. Codes are the project's own; the server
// turns them into RESP errors in exactly one place (server/errors.cpp), so storage never
// decides what a client reads.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace crescent {

enum class StatusCode : unsigned char {
  kOk = 0,
  kNotFound,          // key or object absent (a miss is not an error for clients)
  kAlreadyExists,     // PUT of an existing object (Mooncake: OBJECT_ALREADY_EXISTS)
  kInvalidArgument,   // bad option, bad pattern, value out of range
  kOutOfMemory,       // nothing could be evicted to make room
  kHasLease,          // removal of a leased object without FORCE (OBJECT_HAS_LEASE)
  kNotReady,          // object exists but no replica is COMPLETE yet
  kNoSegment,         // no segment can take a replica (NO_AVAILABLE_HANDLE)
  kNotInteger,        // value is not an integer or out of range
  kNotFloat,          // value is not a valid float
  kOverflow,          // increment or decrement would overflow
  kTooLarge,          // result would exceed proto-max-bulk-len
  kIoError,           // disk tier failed
  kCorruption,        // checksum mismatch
  kBusy,              // a bounded queue is full, or the object is being written
  kSegmentNotFound,   // SEGMENT_NOT_FOUND
  kSegmentExists,     // SEGMENT_ALREADY_EXISTS
  kOverBudget,        // a keyspace walk's pattern matching ran out of match-budget
  kInternal,
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  explicit Status(StatusCode code) : code_(code) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Either a value or a non-OK Status. REQUIRES: a StatusOr built from a Status is not OK.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT(implicit)
  StatusOr(Status status) : status_(std::move(status)) { assert(!status_.ok()); }  // NOLINT

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace crescent
