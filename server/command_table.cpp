#include "server/command_table.h"

#include <algorithm>
#include <cctype>

namespace crescent::server {

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const CommandEntry* CommandEntry::FindSubcommand(std::string_view name) const {
  auto it = subcommands.find(ToLower(name));
  return it == subcommands.end() ? nullptr : it->second.get();
}

CommandTable::CommandTable() {
  for (auto family : {ConnectionCommands(), StringCommands(), KeyspaceCommands(),
                      ServerCommands(), IntrospectionCommands(), ObjectCommands(),
                      SegmentCommands(), AclCommands()}) {
    for (const CommandSpec& spec : family) {
      auto entry = std::make_unique<CommandEntry>();
      entry->spec = &spec;
      entry->full_name = std::string(spec.name);
      for (const CommandSpec& sub : spec.subcommands) {
        auto child = std::make_unique<CommandEntry>();
        child->spec = &sub;
        child->full_name = entry->full_name + "|" + std::string(sub.name);
        child->parent = entry.get();
        entry->subcommands.emplace(std::string(sub.name), std::move(child));
      }
      ordered_.push_back(entry.get());
      commands_.emplace(std::string(spec.name), std::move(entry));
    }
  }
  std::sort(ordered_.begin(), ordered_.end(),
            [](const CommandEntry* a, const CommandEntry* b) { return a->full_name < b->full_name; });
}

const CommandEntry* CommandTable::Find(std::string_view name) const {
  if (name.size() > 64) return nullptr;
  auto it = commands_.find(ToLower(name));
  return it == commands_.end() ? nullptr : it->second.get();
}

}  // namespace crescent::server
