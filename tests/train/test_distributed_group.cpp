// The ranks of a torchrun job: the launch variables, and c10d's Gloo process group between
// ranks that are threads sharing one in-memory store (docs/distributed.md).
#include <catch2/catch.hpp>
#include <torch/csrc/distributed/c10d/HashStore.hpp>
#include <torch/torch.h>

#include <map>
#include <thread>

#include "core/error.h"
#include "train/distributed/launch_environment.h"
#include "train/distributed/process_group.h"
#include "train/rank_threads.h"

namespace {

wsss::EnvironmentReader fakeEnvironment(std::map<std::string, std::string> variables) {
  return [variables](const std::string& name) -> std::optional<std::string> {
    const auto found = variables.find(name);
    if (found == variables.end()) return std::nullopt;
    return found->second;
  };
}

const std::map<std::string, std::string> kTorchrun = {
    {"RANK", "3"},          {"LOCAL_RANK", "1"},         {"WORLD_SIZE", "4"},
    {"LOCAL_WORLD_SIZE", "2"}, {"MASTER_ADDR", "10.0.0.1"}, {"MASTER_PORT", "29500"},
    {"TORCHELASTIC_USE_AGENT_STORE", "True"}, {"TORCHELASTIC_RESTART_COUNT", "2"}};

}  // namespace

using wsss::test::onRanks;

TEST_CASE("torchrun's variables: a plain run has none, a worker has them all",
          "[train][distributed]") {
  CHECK_FALSE(wsss::readLaunchEnvironment(fakeEnvironment({})).has_value());
  const auto launch = wsss::readLaunchEnvironment(fakeEnvironment(kTorchrun));
  REQUIRE(launch.has_value());
  CHECK(launch->rank == 3);
  CHECK(launch->localRank == 1);
  CHECK(launch->worldSize == 4);
  CHECK(launch->localWorldSize == 2);
  CHECK(launch->masterAddress == "10.0.0.1");
  CHECK(launch->masterPort == 29500);
  CHECK(launch->agentStore);
  CHECK(launch->restartCount == 2);

  // Without the agent's variables (a launcher of one's own): rank 0 hosts the store.
  auto own = kTorchrun;
  own.erase("TORCHELASTIC_USE_AGENT_STORE");
  own.erase("TORCHELASTIC_RESTART_COUNT");
  own.erase("LOCAL_RANK");
  own.erase("LOCAL_WORLD_SIZE");
  const auto plain = wsss::readLaunchEnvironment(fakeEnvironment(own));
  REQUIRE(plain.has_value());
  CHECK_FALSE(plain->agentStore);
  CHECK(plain->restartCount == 0);
  CHECK(plain->localRank == 3);
  CHECK(plain->localWorldSize == 4);
}

TEST_CASE("a broken launch is refused naming the variable", "[train][distributed]") {
  const auto without = [](const std::string& name) {
    auto variables = kTorchrun;
    variables.erase(name);
    return fakeEnvironment(variables);
  };
  const auto with = [](const std::string& name, const std::string& value) {
    auto variables = kTorchrun;
    variables[name] = value;
    return fakeEnvironment(variables);
  };
  CHECK_THROWS_WITH(wsss::readLaunchEnvironment(without("MASTER_ADDR")),
                    Catch::Contains("MASTER_ADDR") && Catch::Contains("torchrun"));
  CHECK_THROWS_WITH(wsss::readLaunchEnvironment(without("WORLD_SIZE")),
                    Catch::Contains("WORLD_SIZE"));
  CHECK_THROWS_WITH(wsss::readLaunchEnvironment(with("RANK", "4")),
                    Catch::Contains("RANK=4 is outside [0, WORLD_SIZE=4)"));
  CHECK_THROWS_WITH(wsss::readLaunchEnvironment(with("MASTER_PORT", "http")),
                    Catch::Contains("MASTER_PORT='http' is not a whole number"));
  CHECK_THROWS_WITH(wsss::readLaunchEnvironment(with("MASTER_PORT", "70000")),
                    Catch::Contains("MASTER_PORT=70000 is not a port"));
  CHECK_THROWS_WITH(wsss::readLaunchEnvironment(with("LOCAL_RANK", "2")),
                    Catch::Contains("LOCAL_RANK=2"));
}

TEST_CASE("the backend follows the device, and NCCL is refused on the CPU",
          "[train][distributed]") {
  CHECK(wsss::resolveBackend(wsss::DistributedBackend::Auto, torch::kCPU) ==
        wsss::DistributedBackend::Gloo);
  CHECK(wsss::resolveBackend(wsss::DistributedBackend::Auto, torch::Device(torch::kCUDA, 0)) ==
        wsss::DistributedBackend::Nccl);
  CHECK_THROWS_WITH(wsss::resolveBackend(wsss::DistributedBackend::Nccl, torch::kCPU),
                    Catch::Contains("use gloo"));
}

TEST_CASE("Gloo ranks sum in buckets, broadcast and meet at a barrier", "[train][distributed]") {
  std::vector<std::vector<torch::Tensor>> results(3);
  const auto errors = onRanks(3, 30, [&](wsss::DistributedGroup& group) {
    const double r = static_cast<double>(group.rank());
    // Tensors of several shapes and dtypes; a bucket of 64 bytes splits them over several
    // collectives, and a dtype change starts a new bucket.
    std::vector<torch::Tensor> tensors = {
        torch::full({2, 3}, r + 1), torch::arange(20, torch::kFloat32) * (r + 1),
        torch::full({1}, r, torch::kFloat64), torch::full({4}, 1.0f).t()};
    group.allReduceSum(tensors, 64);
    std::vector<torch::Tensor> rootsOwn = {torch::full({5}, r), torch::full({2, 2}, r).t()};
    group.broadcast(rootsOwn, 2);
    group.barrier();
    tensors.insert(tensors.end(), rootsOwn.begin(), rootsOwn.end());
    results[static_cast<size_t>(group.rank())] = tensors;
  });
  for (const std::string& error : errors) CHECK(error.empty());
  for (const auto& tensors : results) {
    REQUIRE(tensors.size() == 6);
    CHECK(torch::equal(tensors[0], torch::full({2, 3}, 6.0f)));  // 1 + 2 + 3
    CHECK(torch::equal(tensors[1], torch::arange(20, torch::kFloat32) * 6));
    CHECK(torch::equal(tensors[2], torch::full({1}, 3.0, torch::kFloat64)));  // 0 + 1 + 2
    CHECK(torch::equal(tensors[3], torch::full({4}, 3.0f)));
    CHECK(torch::equal(tensors[4], torch::full({5}, 2.0f)));  // rank 2's
    CHECK(torch::equal(tensors[5], torch::full({2, 2}, 2.0f)));
  }
}

TEST_CASE("a rank that stops answering fails the others within the timeout, named",
          "[train][distributed]") {
  const auto start = std::chrono::steady_clock::now();
  const auto errors = onRanks(2, 2, [](wsss::DistributedGroup& group) {
    if (group.rank() == 1) {
      // Rank 1 stalls at step 0 and never joins the all-reduce; it stays alive until rank 0
      // gave up, so the failure is a stall and not a closed connection.
      std::this_thread::sleep_for(std::chrono::seconds(7));
      return;
    }
    group.markProgress(7);
    group.allReduceSum({torch::ones({3})});
  });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO(errors[0]);
  CHECK_THAT(errors[0], Catch::Contains("rank 0 of 2") && Catch::Contains("all-reduce") &&
                            Catch::Contains("Not answering: rank 1 (last at step 0)"));
  CHECK(errors[1].empty());
  CHECK(seconds < 20);
}

TEST_CASE("a rendezvous store that never answers is reported with its address and the timeout",
          "[train][distributed]") {
  // Port 1: nothing listens, so the client retries until train.distributed.timeout.
  wsss::LaunchEnvironment launch;
  launch.rank = 1;
  launch.worldSize = 2;
  launch.masterAddress = "127.0.0.1";
  launch.masterPort = 1;
  launch.agentStore = true;
  wsss::DistributedOptions options;
  options.timeout = 1.5;
  CHECK_THROWS_WITH(wsss::DistributedGroup::join(launch, options, torch::kCPU),
                    Catch::Contains("rank 1 could not join the rendezvous store at 127.0.0.1:1 "
                                    "within 1.5 s (train.distributed.timeout)"));
}
