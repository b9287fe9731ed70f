#include "server/command_docs.h"

#include <map>
#include <string>

namespace crescent::server {

namespace {

// "name:type" tokens; a trailing '?' marks an optional argument, '*' a repeated one.
std::vector<ArgumentDoc> Parse(std::string_view spec) {
  std::vector<ArgumentDoc> out;
  while (!spec.empty()) {
    size_t end = spec.find(' ');
    std::string_view token = spec.substr(0, end);
    spec = end == std::string_view::npos ? std::string_view() : spec.substr(end + 1);
    ArgumentDoc doc;
    while (!token.empty() && (token.back() == '?' || token.back() == '*')) {
      (token.back() == '?' ? doc.optional : doc.multiple) = true;
      token.remove_suffix(1);
    }
    size_t colon = token.find(':');
    doc.name = token.substr(0, colon);
    doc.type = token.substr(colon + 1);
    out.push_back(doc);
  }
  return out;
}

struct Entry {
  std::string_view name;
  std::string_view complexity;
  std::string_view arguments;
};

constexpr Entry kDocs[] = {
    {"acl|help", "O(1)", ""},
    {"acl|list", "O(N) where N is the number of configured users", ""},
    {"acl|users", "O(N) where N is the number of configured users", ""},
    {"acl|whoami", "O(1)", ""},
    {"append", "O(1)", "key:key value:string"},
    {"auth", "O(N) where N is the number of passwords defined for the user", "username:string? password:string"},
    {"batchexist", "O(N) where N is the number of keys", "key:key*"},
    {"batchget", "O(N) where N is the number of keys", "key:key*"},
    {"batchput", "O(N) where N is the number of keys", "numkeys:integer data:string* options:string?*"},
    {"batchquery", "O(N) where N is the number of keys", "key:key*"},
    {"batchremove", "O(N) where N is the number of keys", "force:pure-token? key:key*"},
    {"bgsave", "O(1)", "schedule:pure-token?"},
    {"bitcount", "O(N)", "key:key start:integer? end:integer? unit:pure-token?"},
    {"bitfield", "O(1) for each subcommand specified", "key:key operation:string?*"},
    {"bitfield_ro", "O(1) for each subcommand specified", "key:key get-block:string?*"},
    {"bitop", "O(N)", "operation:string destkey:key key:key*"},
    {"bitpos", "O(N)", "key:key bit:integer start:integer? end:integer? unit:pure-token?"},
    {"client|getname", "O(1)", ""},
    {"client|help", "O(1)", ""},
    {"client|id", "O(1)", ""},
    {"client|info", "O(1)", ""},
    {"client|kill", "O(N) where N is the number of client connections", "filter:string*"},
    {"client|list", "O(N) where N is the number of client connections", "client-type:string? client-id:integer?*"},
    {"client|no-evict", "O(1)", "enabled:string"},
    {"client|pause", "O(1)", "timeout:integer mode:string?"},
    {"client|reply", "O(1)", "action:string"},
    {"client|setinfo", "O(1)", "attr:string"},
    {"client|setname", "O(1)", "connection-name:string"},
    {"client|unpause", "O(N) Where N is the number of paused clients", ""},
    {"command", "O(N) where N is the total number of Redis commands", ""},
    {"command|count", "O(1)", ""},
    {"command|docs", "O(N) where N is the number of commands to look up", "command-name:string?*"},
    {"command|help", "O(1)", ""},
    {"command|info", "O(N) where N is the number of commands to look up", "command-name:string?*"},
    {"command|list", "O(N) where N is the total number of Redis commands", ""},
    {"config|get", "O(N) when N is the number of configuration parameters provided", "parameter:string*"},
    {"config|help", "O(1)", ""},
    {"config|resetstat", "O(1)", ""},
    {"config|rewrite", "O(1)", ""},
    {"config|set", "O(N) when N is the number of configuration parameters provided", "data:string*"},
    {"copy", "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.", "source:key destination:key destination-db:integer? replace:pure-token?"},
    {"dbsize", "O(1)", ""},
    {"decr", "O(1)", "key:key"},
    {"decrby", "O(1)", "key:key decrement:integer"},
    {"del", "O(N) where N is the number of keys that will be removed", "key:key*"},
    {"discard", "O(N), when N is the number of queued commands", ""},
    {"dump", "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).", "key:key"},
    {"echo", "O(1)", "message:string"},
    {"exec", "Depends on commands in the transaction", ""},
    {"exist", "O(1)", "key:key"},
    {"exists", "O(N) where N is the number of keys to check", "key:key*"},
    {"expire", "O(1)", "key:key seconds:integer condition:string?"},
    {"expireat", "O(1)", "key:key unix-time-seconds:unix-time condition:string?"},
    {"expiretime", "O(1)", "key:key"},
    {"flushall", "O(N) where N is the total number of keys in all databases", "flush-type:string?"},
    {"flushdb", "O(N) where N is the number of keys in the selected database", "flush-type:string?"},
    {"get", "O(1)", "key:key"},
    {"getbit", "O(1)", "key:key offset:integer"},
    {"getdel", "O(1)", "key:key"},
    {"getex", "O(1)", "key:key expiration:string?"},
    {"getrange", "O(N) where N is the length of the returned string", "key:key start:integer end:integer"},
    {"getset", "O(1)", "key:key value:string"},
    {"getsize", "O(1)", "key:key"},
    {"hello", "O(1)", "arguments:string?"},
    {"incr", "O(1)", "key:key"},
    {"incrby", "O(1)", "key:key increment:integer"},
    {"incrbyfloat", "O(1)", "key:key increment:double"},
    {"info", "O(1)", "section:string?*"},
    {"keys", "O(N) with N being the number of keys in the database", "pattern:pattern"},
    {"lastsave", "O(1)", ""},
    {"latency|help", "O(1)", ""},
    {"latency|history", "O(1)", "event:string"},
    {"latency|latest", "O(1)", ""},
    {"latency|reset", "O(1)", "event:string?*"},
    {"lcs", "O(N*M) where N and M are the lengths of s1 and s2, respectively", "key1:key key2:key len:pure-token? idx:pure-token? min-match-len:integer? withmatchlen:pure-token?"},
    {"memory|help", "O(1)", ""},
    {"memory|usage", "O(N) where N is the number of samples", "key:key count:integer?"},
    {"mget", "O(N) where N is the number of keys to retrieve", "key:key*"},
    {"monitor", "", ""},
    {"mset", "O(N) where N is the number of keys to set", "data:string*"},
    {"msetnx", "O(N) where N is the number of keys to set", "data:string*"},
    {"multi", "O(1)", ""},
    {"object|encoding", "O(1)", "key:key"},
    {"object|freq", "O(1)", "key:key"},
    {"object|help", "O(1)", ""},
    {"object|idletime", "O(1)", "key:key"},
    {"object|refcount", "O(1)", "key:key"},
    {"persist", "O(1)", "key:key"},
    {"pexpire", "O(1)", "key:key milliseconds:integer condition:string?"},
    {"pexpireat", "O(1)", "key:key unix-time-milliseconds:unix-time condition:string?"},
    {"pexpiretime", "O(1)", "key:key"},
    {"ping", "O(1)", "message:string?"},
    {"psetex", "O(1)", "key:key milliseconds:integer value:string"},
    {"pttl", "O(1)", "key:key"},
    {"put", "O(1)", "key:key value:string options:string?*"},
    {"query", "O(1)", "key:key"},
    {"queryregex", "O(N) where N is the number of keys", "pattern:pattern"},
    {"quit", "O(1)", ""},
    {"randomkey", "O(1)", ""},
    {"remove", "O(1)", "key:key force:pure-token?"},
    {"removeall", "O(N) where N is the number of keys", "force:pure-token?"},
    {"removeregex", "O(N) where N is the number of keys", "pattern:pattern force:pure-token?"},
    {"rename", "O(1)", "key:key newkey:key"},
    {"renamenx", "O(1)", "key:key newkey:key"},
    {"reset", "O(1)", ""},
    {"restore", "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).", "key:key ttl:integer serialized-value:string replace:pure-token? absttl:pure-token? seconds:integer? frequency:integer?"},
    {"role", "O(1)", ""},
    {"save", "O(N) where N is the total number of keys in all databases", ""},
    {"scan", "O(1) for every call. O(N) for a complete iteration", "cursor:integer pattern:pattern? count:integer? type:string?"},
    {"segment|help", "O(1)", ""},
    {"segment|list", "O(N) where N is the number of segments", ""},
    {"segment|mount", "O(1)", "name:string size:string"},
    {"segment|query", "O(1)", "name:string"},
    {"segment|unmount", "O(N) where N is the number of keys", "name:string"},
    {"select", "O(1)", "index:integer"},
    {"set", "O(1)", "key:key value:string condition:string? get:pure-token? expiration:string?"},
    {"setbit", "O(1)", "key:key offset:integer value:integer"},
    {"setex", "O(1)", "key:key seconds:integer value:string"},
    {"setnx", "O(1)", "key:key value:string"},
    {"setrange", "O(1), not counting the time taken to copy the new string in place", "key:key offset:integer value:string"},
    {"shutdown", "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)", "nosave-save:string? now:pure-token? force:pure-token? abort:pure-token?"},
    {"slowlog|get", "O(N) where N is the number of entries returned", "count:integer?"},
    {"slowlog|help", "O(1)", ""},
    {"slowlog|len", "O(1)", ""},
    {"slowlog|reset", "O(N) where N is the number of entries in the slowlog", ""},
    {"strlen", "O(1)", "key:key"},
    {"substr", "O(N) where N is the length of the returned string", "key:key start:integer end:integer"},
    {"time", "O(1)", ""},
    {"touch", "O(N) where N is the number of keys that will be touched", "key:key*"},
    {"ttl", "O(1)", "key:key"},
    {"type", "O(1)", "key:key"},
    {"unlink", "O(1) for each key removed regardless of its size", "key:key*"},
    {"unwatch", "O(1)", ""},
    {"upsert", "O(1)", "key:key value:string options:string?*"},
    {"wait", "O(1)", "numreplicas:integer timeout:integer"},
    {"watch", "O(1) for every key.", "key:key*"},
};

}  // namespace

const CommandDoc* FindCommandDoc(std::string_view full_name) {
  static const std::map<std::string_view, CommandDoc, std::less<>> docs = [] {
    std::map<std::string_view, CommandDoc, std::less<>> m;
    for (const Entry& e : kDocs) m.emplace(e.name, CommandDoc{e.complexity, Parse(e.arguments)});
    return m;
  }();
  auto it = docs.find(full_name);
  return it == docs.end() ? nullptr : &it->second;
}

}  // namespace crescent::server
