#include "core/config/string_distance.h"

#include <algorithm>

namespace wsss {

size_t editDistance(const std::string& a, const std::string& b) {
  const size_t rows = a.size() + 1;
  const size_t columns = b.size() + 1;
  std::vector<size_t> distance(rows * columns);
  const auto at = [&](size_t row, size_t column) -> size_t& {
    return distance[row * columns + column];
  };
  for (size_t row = 0; row < rows; ++row) at(row, 0) = row;
  for (size_t column = 0; column < columns; ++column) at(0, column) = column;
  for (size_t row = 1; row < rows; ++row) {
    for (size_t column = 1; column < columns; ++column) {
      const size_t substitution = a[row - 1] == b[column - 1] ? 0 : 1;
      size_t best = std::min({at(row - 1, column) + 1, at(row, column - 1) + 1,
                              at(row - 1, column - 1) + substitution});
      if (row > 1 && column > 1 && a[row - 1] == b[column - 2] && a[row - 2] == b[column - 1]) {
        best = std::min(best, at(row - 2, column - 2) + 1);
      }
      at(row, column) = best;
    }
  }
  return at(rows - 1, columns - 1);
}

std::optional<std::string> closestName(const std::string& name,
                                       const std::vector<std::string>& candidates,
                                       std::optional<size_t> maxDistance) {
  const size_t limit = maxDistance.value_or(std::max<size_t>(2, name.size() / 3));
  std::optional<std::string> best;
  size_t bestDistance = limit + 1;
  for (const auto& candidate : candidates) {
    const size_t distance = editDistance(name, candidate);
    // A candidate that would have to be rewritten entirely is no hint.
    if (distance < bestDistance && distance < candidate.size()) {
      bestDistance = distance;
      best = candidate;
    }
  }
  return best;
}

}  // namespace wsss
