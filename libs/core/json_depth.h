#pragma once
// Nesting depth of JSON text, measured before parsing. nlohmann's parser is iterative, but copying,
// dumping and every tree walk afterwards recurse once per level: a 200 KB body of brackets would
// overflow a worker's stack. Go's encoding/json (and so kube-apiserver) refuses more than 10,000.
#include <cstddef>
#include <string_view>

namespace vkube {

inline constexpr std::size_t kMaxJsonDepth = 10000;

// True when arrays/objects nest deeper than max_depth anywhere in text (brackets inside strings do
// not count). Linear, allocation-free; malformed text is left for the parser to reject.
bool JsonNestsDeeperThan(std::string_view text, std::size_t max_depth = kMaxJsonDepth);

}  // namespace vkube
