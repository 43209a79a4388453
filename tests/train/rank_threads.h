#pragma once
// The ranks of a job as threads, each with its own Gloo group over one shared in-memory store.
#include <torch/csrc/distributed/c10d/HashStore.hpp>
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "train/distributed/process_group.h"

namespace wsss::test {

// Runs `body(group)` on `worldSize` ranks; returns each rank's error message ("" when it
// finished).
inline std::vector<std::string> onRankGroups(
    int64_t worldSize, double timeoutSeconds,
    const std::function<void(const std::shared_ptr<DistributedGroup>&)>& body) {
  const auto store = c10::make_intrusive<c10d::HashStore>();
  std::vector<std::string> errors(static_cast<size_t>(worldSize));
  std::vector<std::thread> threads;
  for (int64_t rank = 0; rank < worldSize; ++rank) {
    threads.emplace_back([&, rank] {
      try {
        body(std::make_shared<DistributedGroup>(store, rank, worldSize, DistributedBackend::Gloo,
                                                timeoutSeconds, torch::kCPU));
      } catch (const std::exception& error) {
        errors[static_cast<size_t>(rank)] = error.what();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  return errors;
}

inline std::vector<std::string> onRanks(int64_t worldSize, double timeoutSeconds,
                                        const std::function<void(DistributedGroup&)>& body) {
  return onRankGroups(worldSize, timeoutSeconds,
                      [&](const std::shared_ptr<DistributedGroup>& group) { body(*group); });
}

}  // namespace wsss::test
