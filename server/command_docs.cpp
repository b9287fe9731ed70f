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
    {"batchexist", "O(N) where N is the number of keys", "key:key*"},
    {"batchget", "O(N) where N is the number of keys", "key:key*"},
    {"batchput", "O(N) where N is the number of keys", "numkeys:integer data:string* options:string?*"},
    {"batchquery", "O(N) where N is the number of keys", "key:key*"},
    {"batchremove", "O(N) where N is the number of keys", "force:pure-token? key:key*"},
    {"exist", "O(1)", "key:key"},
    {"getsize", "O(1)", "key:key"},
    {"put", "O(1)", "key:key value:string options:string?*"},
    {"query", "O(1)", "key:key"},
    {"queryregex", "O(N) where N is the number of keys", "pattern:pattern"},
    {"remove", "O(1)", "key:key force:pure-token?"},
    {"removeall", "O(N) where N is the number of keys", "force:pure-token?"},
    {"removeregex", "O(N) where N is the number of keys", "pattern:pattern force:pure-token?"},
    {"segment|help", "O(1)", ""},
    {"segment|list", "O(N) where N is the number of segments", ""},
    {"segment|mount", "O(1)", "name:string size:string"},
    {"segment|query", "O(1)", "name:string"},
    {"segment|unmount", "O(N) where N is the number of keys", "name:string"},
    {"upsert", "O(1)", "key:key value:string options:string?*"},
    {"auth", "O(N) where N is the number of passwords defined for the user", "username:string? password:string"},
    {"bitcount", "O(N)", "key:key start:integer? end:integer? unit:pure-token?"},
    {"bitfield", "O(1) for each subcommand specified", "key:key operation:string?*"},
    {"bitfield_ro", "O(1) for each subcommand specified", "key:key get-block:string?*"},
    {"bitop", "O(N)", "operation:string destkey:key key:key*"},
    {"bitpos", "O(N)", "key:key bit:integer start:integer? end:integer? unit:pure-token?"},
    {"client|getname", "O(1)", ""},
    {"client|help", "O(1)", ""},
    {"command|help", "O(1)", ""},
    {"config|help", "O(1)", ""},
    {"memory|help", "O(1)", ""},
    {"slowlog|help", "O(1)", ""},
    {"client|id", "O(1)", ""},
    {"client|info", "O(1)", ""},
    {"client|kill", "O(N) where N is the number of client connections", "filter:string*"},
    {"client|list", "O(N) where N is the number of client connections", "client-type:string? client-id:integer?*"},
    {"client|setinfo", "O(1)", "attr:string"},
    {"client|setname", "O(1)", "connection-name:string"},
    {"command", "O(N) where N is the total number of Redis commands", ""},
    {"command|count", "O(1)", ""},
    {"command|docs", "O(N) where N is the number of commands to look up", "command-name:string?*"},
    {"command|info", "O(N) where N is the number of commands to look up", "command-name:string?*"},
    {"command|list", "O(N) where N is the total number of Redis commands", ""},
    {"config|get", "O(N) when N is the number of configuration parameters provided", "parameter:string*"},
    {"config|resetstat", "O(1)", ""},
    {"config|rewrite", "O(1)", ""},
    {"config|set", "O(N) when N is the number of configuration parameters provided", "data:string*"},
    {"copy", "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.", "source:key destination:key destination-db:integer? replace:pure-token?"},
    {"dbsize", "O(1)", ""},
    {"decr", "O(1)", "key:key"},
    {"decrby", "O(1)", "key:key decrement:integer"},
    {"del", "O(N) where N is the number of keys that will be removed", "key:key*"},
    {"dump", "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).", "key:key"},
    {"echo", "O(1)", "message:string"},
    {"exists", "O(N) where N is the number of keys to check", "key:key*"},
    {"expire", "O(1)", "key:key seconds:integer condition:string?"},
    {"expireat", "O(1)", "key:key unix-time-seconds:unix-time condition:string?"},
    {"expiretime", "O(1)", "key:key"},
    {"flushall", "O(N) where N is the total number of keys in all databases", "flush-type:string?"},
    {"flushdb", "O(N) where N is the number of keys in the selected database", "flush-type:string?"},
    {"get", "O(1)", "key:key"},
    {"getdel", "O(1)", "key:key"},
    {"getex", "O(1)", "key:key expiration:string?"},
    {"getbit", "O(1)", "key:key offset:integer"},
    {"getrange", "O(N) where N is the length of the returned string", "key:key start:integer end:integer"},
    {"getset", "O(1)", "key:key value:string"},
    {"hello", "O(1)", "arguments:string?"},
    {"incr", "O(1)", "key:key"},
    {"incrby", "O(1)", "key:key increment:integer"},
    {"incrbyfloat", "O(1)", "key:key increment:double"},
    {"info", "O(1)", "section:string?*"},
    {"keys", "O(N) with N being the number of keys in the database", "pattern:pattern"},
    {"memory|usage", "O(N) where N is the number of samples", "key:key count:integer?"},
    {"lcs", "O(N*M) where N and M are the lengths of s1 and s2, respectively", "key1:key key2:key len:pure-token? idx:pure-token? min-match-len:integer? withmatchlen:pure-token?"},
    {"mget", "O(N) where N is the number of keys to retrieve", "key:key*"},
    {"mset", "O(N) where N is the number of keys to set", "data:string*"},
    {"msetnx", "O(N) where N is the number of keys to set", "data:string*"},
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
    {"quit", "O(1)", ""},
    {"randomkey", "O(1)", ""},
    {"rename", "O(1)", "key:key newkey:key"},
    {"renamenx", "O(1)", "key:key newkey:key"},
    {"restore", "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).", "key:key ttl:integer serialized-value:string replace:pure-token? absttl:pure-token? seconds:integer? frequency:integer?"},
    {"scan", "O(1) for every call. O(N) for a complete iteration", "cursor:integer pattern:pattern? count:integer? type:string?"},
    {"select", "O(1)", "index:integer"},
    {"set", "O(1)", "key:key value:string condition:string? get:pure-token? expiration:string?"},
    {"setex", "O(1)", "key:key seconds:integer value:string"},
    {"setnx", "O(1)", "key:key value:string"},
    {"setbit", "O(1)", "key:key offset:integer value:integer"},
    {"setrange", "O(1), not counting the time taken to copy the new string in place", "key:key offset:integer value:string"},
    {"slowlog|get", "O(N) where N is the number of entries returned", "count:integer?"},
    {"slowlog|len", "O(1)", ""},
    {"slowlog|reset", "O(N) where N is the number of entries in the slowlog", ""},
    {"strlen", "O(1)", "key:key"},
    {"substr", "O(N) where N is the length of the returned string", "key:key start:integer end:integer"},
    {"time", "O(1)", ""},
    {"touch", "O(N) where N is the number of keys that will be touched", "key:key*"},
    {"ttl", "O(1)", "key:key"},
    {"type", "O(1)", "key:key"},
    {"unlink", "O(1) for each key removed regardless of its size", "key:key*"},
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
