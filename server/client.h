// Client: what the server knows of one connection, as commands and CLIENT LIST see it.
//
// The connection's I/O thread owns the plain members; fields that CLIENT LIST and
// CLIENT KILL read from other threads are atomics or guarded by `mu`.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/users.h"
#include "storage/store.h"

namespace crescent::server {

// Outside Client: a nested struct with default member initializers is not yet default-
// constructible inside its enclosing class, and clang then refuses optional::emplace().
struct ClientTransaction {
  std::vector<std::vector<std::string>> commands;
  size_t bytes = 0;      // of the queued arguments, bounded by client-query-buffer-limit
  bool aborted = false;  // a command was refused while queuing: EXEC answers EXECABORT
};

struct WatchedKeyState {
  bool exists = false;
  uint64_t version = 0;
  int64_t expire_at_ms = 0;
  bool operator==(const WatchedKeyState&) const = default;
};

class Client {
 public:
  Client(uint64_t id, std::string addr, std::string laddr, int64_t now_ms)
      : id_(id), addr_(std::move(addr)), laddr_(std::move(laddr)), created_ms_(now_ms),
        last_interaction_ms_(now_ms) {}

  uint64_t id() const { return id_; }
  const std::string& addr() const { return addr_; }
  const std::string& laddr() const { return laddr_; }
  int64_t created_ms() const { return created_ms_; }

  // I/O thread only.
  bool authenticated = false;
  // The named user this connection authenticated as; null: the default user.
  const config::UserSpec* acl_user = nullptr;
  bool close_after_reply = false;  // QUIT, CLIENT KILL of itself, protocol errors

  // A large SET / PUT / UPSERT value that the connection read from the socket straight
  // into the store, waiting for its command to run (I/O thread only). The command takes
  // it when its value argument is these bytes; otherwise it is dropped after the command.
  std::optional<storage::PreparedValue> received_value;
  std::optional<storage::PreparedValue> TakeReceived(std::string_view arg) {
    if (!received_value || received_value->data() != arg.data() ||
        received_value->size() != arg.size()) {
      return std::nullopt;
    }
    std::optional<storage::PreparedValue> out = std::move(received_value);
    received_value.reset();
    return out;
  }

  // CLIENT REPLY: OFF drops every reply until ON; SKIP drops the next command's reply
  // (skip_next is set by SKIP itself, whose own reply is dropped too).
  bool reply_off = false;
  bool reply_skip = false;
  bool reply_skip_next = false;
  bool monitor = false;   // MONITOR: gets every other client's commands
  bool no_evict = false;  // CLIENT NO-EVICT: kept for CLIENT INFO (clients are never evicted)

  // MULTI ... EXEC: the queued commands (I/O thread only). Present while in MULTI.
  using Transaction = ClientTransaction;
  std::optional<Transaction> multi;
  // WATCH: each key as it was when watched. EXEC runs only if every one is unchanged
  // (same existence, version and expiry): any write, expiry, eviction or removal of
  // the key, by any client, changes one of them.
  using WatchedKey = WatchedKeyState;
  std::unordered_map<std::string, WatchedKey> watched;

  // Written by the I/O thread, read by CLIENT LIST anywhere.
  std::atomic<bool> resp3{false};
  std::string user() const { std::lock_guard l(mu_); return user_; }
  void set_user(std::string user) { std::lock_guard l(mu_); user_ = std::move(user); }

  int64_t last_interaction_ms() const { return last_interaction_ms_.load(std::memory_order_relaxed); }
  void Touch(int64_t now_ms) { last_interaction_ms_.store(now_ms, std::memory_order_relaxed); }

  std::string name() const { std::lock_guard l(mu_); return name_; }
  void set_name(std::string name) { std::lock_guard l(mu_); name_ = std::move(name); }
  void set_lib(std::string* name, std::string* ver) {
    std::lock_guard l(mu_);
    if (name) lib_name_ = std::move(*name);
    if (ver) lib_ver_ = std::move(*ver);
  }
  // `cmd` must outlive the client: it is a command table entry's name (set for every
  // command, so it is a pointer store, not a copy under a lock).
  void set_last_command(const std::string* cmd) { last_command_.store(cmd, std::memory_order_relaxed); }

  // One line of CLIENT LIST (without the newline).
  std::string Describe(int64_t now_ms, size_t query_buffer, size_t query_buffer_free,
                       size_t output_buffer) const;

 private:
  const uint64_t id_;
  const std::string addr_;
  const std::string laddr_;
  const int64_t created_ms_;
  std::atomic<int64_t> last_interaction_ms_;
  mutable std::mutex mu_;
  std::string name_;          // GUARDED_BY(mu_)
  std::string user_ = "default";  // GUARDED_BY(mu_)
  std::string lib_name_;      // GUARDED_BY(mu_)
  std::string lib_ver_;       // GUARDED_BY(mu_)
  std::atomic<const std::string*> last_command_{nullptr};  // null: none yet
};

}  // namespace crescent::server
