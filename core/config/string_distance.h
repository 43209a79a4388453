#pragma once
// Edit distance for "did you mean" hints on misspelt keys and names.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace wsss {

// Insertions, deletions, substitutions and swaps of neighbouring characters each cost one,
// so "trian" is one step from "train".
size_t editDistance(const std::string& a, const std::string& b);

// The candidate nearest to `name` when it is within `maxDistance` edits (by default
// max(2, name.size() / 3)) and fewer edits than the candidate's length; ties go to the
// earlier candidate.
std::optional<std::string> closestName(const std::string& name,
                                       const std::vector<std::string>& candidates,
                                       std::optional<size_t> maxDistance = std::nullopt);

}  // namespace wsss
