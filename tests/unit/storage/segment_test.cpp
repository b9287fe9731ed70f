// Tests for storage/segment.cpp: where SegmentRegistry places a new value's replicas.
#include "storage/segment.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace crescent::storage {
namespace {

constexpr size_t MiB = 1024 * 1024;

std::vector<std::string> Names(const SegmentRegistry::Placement& order) {
  std::vector<std::string> names;
  for (const auto& s : order) names.push_back(s->name());
  return names;
}

// Six segments, more than the placement list holds inline: free bytes a 8, b 3, c 8,
// d 5, e 1, f 8 MiB.
void MountSix(SegmentRegistry* registry) {
  const std::vector<std::pair<std::string, size_t>> segments = {
      {"a", 8}, {"b", 4}, {"c", 8}, {"d", 8}, {"e", 2}, {"f", 8}};
  for (const auto& [name, mib] : segments) {
    REQUIRE(registry->Mount(name, mib * MiB, false).ok());
  }
  REQUIRE(registry->Find("b")->pool().Allocate(1 * MiB));
  REQUIRE(registry->Find("d")->pool().Allocate(3 * MiB));
  REQUIRE(registry->Find("e")->pool().Allocate(1 * MiB));
}

TEST_CASE("placement: most free bytes first, ties in mount order") {
  SegmentRegistry registry;
  MountSix(&registry);
  CHECK(Names(registry.PlacementOrder({})) ==
        std::vector<std::string>{"a", "c", "f", "d", "b", "e"});
  // Filling a changes the order: it now has as little room as e, and was mounted first.
  REQUIRE(registry.Find("a")->pool().Allocate(7 * MiB));
  CHECK(Names(registry.PlacementOrder({})) ==
        std::vector<std::string>{"c", "f", "d", "b", "a", "e"});
}

TEST_CASE("placement: preferred segments first, in the order given, each once") {
  SegmentRegistry registry;
  MountSix(&registry);
  const std::vector<std::string> preferred = {"e", "unknown", "b", "e"};
  CHECK(Names(registry.PlacementOrder(preferred)) ==
        std::vector<std::string>{"e", "b", "a", "c", "f", "d"});
  REQUIRE(registry.Detach("c") != nullptr);
  CHECK(Names(registry.PlacementOrder(preferred)) ==
        std::vector<std::string>{"e", "b", "a", "f", "d"});
}

TEST_CASE("placement: none mounted") {
  SegmentRegistry registry;
  CHECK(registry.PlacementOrder({}).empty());
}

}  // namespace
}  // namespace crescent::storage
