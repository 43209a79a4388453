#include "train/distributed/process_group.h"

#include <torch/csrc/distributed/c10d/Backend.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/torch.h>
// NCCL where LibTorch has it and its header is at hand (the CUDA toolkit's, or the nvidia-nccl
// wheel's).
#if defined(USE_C10D_NCCL) && __has_include(<nccl.h>)
#define WSSS_HAVE_NCCL 1
#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <algorithm>
#include <chrono>
#include <sstream>
#include <thread>

#include "core/error.h"

namespace wsss {

namespace {

std::chrono::milliseconds milliseconds(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000.0));
}

// "1.5 s" rather than std::to_string's "1.500000".
std::string secondsText(double seconds) {
  std::ostringstream text;
  text << seconds << " s";
  return text.str();
}

std::string progressKey(int64_t rank) { return "progress/" + std::to_string(rank); }
std::string failedKey(int64_t rank) { return "failed/" + std::to_string(rank); }

std::vector<uint8_t> bytes(const std::string& text) { return {text.begin(), text.end()}; }

c10::intrusive_ptr<c10d::Backend> makeEngine(const c10::intrusive_ptr<c10d::Store>& store,
                                             int64_t rank, int64_t worldSize,
                                             DistributedBackend backend, double timeoutSeconds,
                                             const std::string& channel) {
  // The engine's keys live apart from the progress records.
  const auto engineStore = c10::make_intrusive<c10d::PrefixStore>(channel, store);
  if (backend == DistributedBackend::Gloo) {
    // GLOO_SOCKET_IFNAME picks the interfaces; otherwise the address this host's name resolves
    // to, or the loopback.
    auto options = c10d::ProcessGroupGloo::Options::create_default(milliseconds(timeoutSeconds));
    if (options->devices.empty()) {
      options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    }
    return c10::make_intrusive<c10d::ProcessGroupGloo>(engineStore, static_cast<int>(rank),
                                                       static_cast<int>(worldSize), options);
  }
#ifdef WSSS_HAVE_NCCL
  auto options = c10d::ProcessGroupNCCL::Options::create();
  options->timeout = milliseconds(timeoutSeconds);
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(engineStore, static_cast<int>(rank),
                                                     static_cast<int>(worldSize), options);
#else
  throw Error("train.distributed.backend is nccl, but this build of wsss has no NCCL");
#endif
}

// [begin, end) ranges of consecutive tensors of one dtype up to `bucketBytes` each (at least
// one tensor), so a call costs one collective per bucket whatever the number of tensors.
std::vector<std::pair<size_t, size_t>> buckets(const std::vector<torch::Tensor>& tensors,
                                               int64_t bucketBytes) {
  std::vector<std::pair<size_t, size_t>> ranges;
  size_t begin = 0;
  while (begin < tensors.size()) {
    size_t end = begin;
    int64_t size = 0;
    while (end < tensors.size() && tensors[end].scalar_type() == tensors[begin].scalar_type() &&
           (end == begin || size + tensors[end].nbytes() <= static_cast<size_t>(bucketBytes))) {
      size += static_cast<int64_t>(tensors[end].nbytes());
      ++end;
    }
    ranges.emplace_back(begin, end);
    begin = end;
  }
  return ranges;
}

// Tensors [begin, end) as one flat buffer on `device`.
torch::Tensor flatten(const std::vector<torch::Tensor>& tensors, size_t begin, size_t end,
                      const torch::Device& device) {
  std::vector<torch::Tensor> flat;
  for (size_t i = begin; i < end; ++i) flat.push_back(tensors[i].reshape({-1}));
  return torch::cat(flat).to(device);
}

// Copies the buffer back into tensors [begin, end), in place.
void unflatten(const torch::Tensor& buffer, const std::vector<torch::Tensor>& tensors,
               size_t begin, size_t end) {
  torch::NoGradGuard noGrad;
  int64_t offset = 0;
  for (size_t i = begin; i < end; ++i) {
    const int64_t count = tensors[i].numel();
    tensors[i].copy_(buffer.narrow(0, offset, count).view_as(tensors[i]));
    offset += count;
  }
}

}  // namespace

DistributedBackend resolveBackend(DistributedBackend requested, const torch::Device& device) {
  if (requested == DistributedBackend::Auto) {
    return device.is_cuda() ? DistributedBackend::Nccl : DistributedBackend::Gloo;
  }
  WSSS_CHECK(requested != DistributedBackend::Nccl || device.is_cuda(),
             "train.distributed.backend is nccl, but the run is on ", device.str(),
             ": NCCL moves CUDA tensors only; use gloo (or auto) on the CPU");
#ifndef WSSS_HAVE_NCCL
  WSSS_CHECK(requested != DistributedBackend::Nccl,
             "train.distributed.backend is nccl, but this build of wsss has no NCCL; use gloo");
#endif
  return requested;
}

std::shared_ptr<DistributedGroup> DistributedGroup::join(const LaunchEnvironment& launch,
                                                         const DistributedOptions& options,
                                                         const torch::Device& device) {
  torch::Device rankDevice = device;
  if (device.is_cuda()) {
    WSSS_CHECK(launch.localRank < static_cast<int64_t>(torch::cuda::device_count()),
               "LOCAL_RANK=", launch.localRank, " but this machine has ",
               torch::cuda::device_count(),
               " CUDA devices: start at most one rank per GPU (torchrun --nproc-per-node)");
    rankDevice = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(launch.localRank));
#ifdef WSSS_HAVE_NCCL
    c10::cuda::set_device(rankDevice.index());
#endif
  }
  const DistributedBackend backend = resolveBackend(options.backend, rankDevice);
  c10d::TCPStoreOptions storeOptions;
  storeOptions.port = static_cast<uint16_t>(launch.masterPort);
  // torchrun's agent may host the store already; otherwise rank 0 does, and waits for all.
  storeOptions.isServer = !launch.agentStore && launch.rank == 0;
  if (storeOptions.isServer) storeOptions.numWorkers = static_cast<size_t>(launch.worldSize);
  storeOptions.timeout = milliseconds(options.timeout);
  storeOptions.multiTenant = true;
  c10::intrusive_ptr<c10d::Store> base;
  try {
    base = c10::make_intrusive<c10d::TCPStore>(launch.masterAddress, storeOptions);
  } catch (const std::exception& error) {
    throw Error("rank " + std::to_string(launch.rank) + " could not join the rendezvous store at " +
                launch.masterAddress + ":" + std::to_string(launch.masterPort) + " within " +
                secondsText(options.timeout) + " (train.distributed.timeout): " +
                error.what());
  }
  // A restarted job starts its keys afresh.
  const auto store = c10::make_intrusive<c10d::PrefixStore>(
      "wsss/attempt_" + std::to_string(launch.restartCount), base);
  return std::make_shared<DistributedGroup>(store, launch.rank, launch.worldSize, backend,
                                            options.timeout, rankDevice);
}

DistributedGroup::DistributedGroup(c10::intrusive_ptr<c10d::Store> store, int64_t rank,
                                   int64_t worldSize, DistributedBackend backend,
                                   double timeoutSeconds, torch::Device device,
                                   const std::string& channel)
    : store_(std::move(store)),
      rank_(rank),
      worldSize_(worldSize),
      backend_(resolveBackend(backend, device)),
      timeoutSeconds_(timeoutSeconds),
      device_(device) {
  WSSS_CHECK(worldSize >= 1 && rank >= 0 && rank < worldSize, "rank ", rank,
             " is outside a world of ", worldSize);
  store_->setTimeout(milliseconds(timeoutSeconds));
  try {
    engine_ = makeEngine(store_, rank_, worldSize_, backend_, timeoutSeconds_, channel);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& error) {
    throw Error("rank " + std::to_string(rank_) + " of " + std::to_string(worldSize_) +
                " could not connect to the other ranks within " +
                secondsText(timeoutSeconds_) + " (train.distributed.timeout): " +
                error.what());
  }
  if (channel == "engine") markProgress(0);
}

DistributedGroup::~DistributedGroup() = default;

std::shared_ptr<DistributedGroup> DistributedGroup::channel(const std::string& name) const {
  return std::make_shared<DistributedGroup>(store_, rank_, worldSize_, backend_, timeoutSeconds_,
                                            device_, "engine/" + name);
}

Error DistributedGroup::collectiveError(const std::string& what, const std::exception& cause) {
  return Error("rank " + std::to_string(rank_) + " of " + std::to_string(worldSize_) + ": " +
               what + " failed (" + cause.what() + "). " + describeStragglers() +
               " The checkpoints already written are intact; resume from last.pt");
}

template <class Launch>
void DistributedGroup::collective(const std::string& what, Launch launch) {
  try {
    c10::intrusive_ptr<c10d::Work> work = launch();
    work->wait();
  } catch (const std::exception& error) {
    throw collectiveError(what, error);
  }
}

PendingCollective::PendingCollective(DistributedGroup* group, c10::intrusive_ptr<c10d::Work> work,
                                     std::string what)
    : group_(group), work_(std::move(work)), what_(std::move(what)) {}
PendingCollective::PendingCollective(PendingCollective&&) noexcept = default;
PendingCollective& PendingCollective::operator=(PendingCollective&&) noexcept = default;
PendingCollective::~PendingCollective() = default;

void PendingCollective::wait() {
  if (!work_) return;
  try {
    work_->wait();
    work_.reset();
  } catch (const std::exception& error) {
    work_.reset();
    throw group_->collectiveError(what_, error);
  }
}

PendingCollective DistributedGroup::startAllReduceSum(const torch::Tensor& buffer,
                                                      const std::string& what) {
  WSSS_CHECK(buffer.is_contiguous() && buffer.device() == device_,
             "startAllReduceSum needs a contiguous buffer on ", device_.str());
  std::vector<torch::Tensor> buffers{buffer};
  try {
    return PendingCollective(this, engine_->allreduce(buffers, c10d::AllreduceOptions{}), what);
  } catch (const std::exception& error) {
    throw collectiveError(what, error);
  }
}

void DistributedGroup::allReduceSum(const std::vector<torch::Tensor>& tensors,
                                    int64_t bucketBytes) {
  torch::NoGradGuard noGrad;
  for (const auto& [begin, end] : buckets(tensors, bucketBytes)) {
    std::vector<torch::Tensor> buffer{flatten(tensors, begin, end, device_)};
    collective("the all-reduce of " + std::to_string(end - begin) + " tensors", [&] {
      return engine_->allreduce(buffer, c10d::AllreduceOptions{});
    });
    unflatten(buffer[0], tensors, begin, end);
  }
}

int64_t DistributedGroup::maxOver(int64_t value) {
  std::vector<torch::Tensor> buffer{
      torch::full({1}, value, torch::TensorOptions(torch::kInt64).device(device_))};
  c10d::AllreduceOptions options;
  options.reduceOp = c10d::ReduceOp::MAX;
  collective("the all-reduce of a flag", [&] { return engine_->allreduce(buffer, options); });
  return buffer[0].item<int64_t>();
}

void DistributedGroup::broadcast(const std::vector<torch::Tensor>& tensors, int64_t root) {
  torch::NoGradGuard noGrad;
  for (const auto& [begin, end] : buckets(tensors, 25 << 20)) {
    std::vector<torch::Tensor> buffer{flatten(tensors, begin, end, device_)};
    c10d::BroadcastOptions options;
    options.rootRank = root;
    collective("the broadcast from rank " + std::to_string(root),
               [&] { return engine_->broadcast(buffer, options); });
    unflatten(buffer[0], tensors, begin, end);
  }
}

void DistributedGroup::barrier() {
  collective("the barrier", [&] { return engine_->barrier(c10d::BarrierOptions{}); });
}

void DistributedGroup::markProgress(int64_t step) {
  store_->set(progressKey(rank_), bytes(std::to_string(step)));
}

std::string DistributedGroup::describeStragglers() {
  // Every rank whose collective failed says so in the store and listens a few seconds for the
  // others; a rank that stays silent has died or stalled. A live store answers at once; a dead
  // one should not hold the error for the whole timeout.
  store_->setTimeout(std::chrono::seconds(5));
  try {
    store_->set(failedKey(rank_), bytes("1"));
    std::vector<bool> answered(static_cast<size_t>(worldSize_), false);
    answered[static_cast<size_t>(rank_)] = true;
    const auto deadline = std::chrono::steady_clock::now() +
                          std::min(milliseconds(timeoutSeconds_), milliseconds(3.0));
    while (true) {
      for (int64_t rank = 0; rank < worldSize_; ++rank) {
        if (!answered[static_cast<size_t>(rank)] && store_->check({failedKey(rank)})) {
          answered[static_cast<size_t>(rank)] = true;
        }
      }
      const bool all = std::all_of(answered.begin(), answered.end(), [](bool a) { return a; });
      if (all || std::chrono::steady_clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::ostringstream silent;
    int64_t furthest = -1;
    for (int64_t rank = 0; rank < worldSize_; ++rank) {
      const int64_t step = recordedProgress(rank);
      furthest = std::max(furthest, step);
      if (answered[static_cast<size_t>(rank)]) continue;
      silent << (silent.tellp() > 0 ? ", " : "") << "rank " << rank
             << (step < 0 ? " (never joined)" : " (last at step " + std::to_string(step) + ")");
    }
    store_->setTimeout(milliseconds(timeoutSeconds_));
    if (silent.tellp() == 0) {
      return "Every rank answered, the furthest at step " + std::to_string(furthest) +
             ": the network between them failed, or a rank failed inside the step (see its "
             "own error).";
    }
    return "Not answering: " + silent.str() + "; it died or stalled.";
  } catch (const std::exception& error) {
    return "The rendezvous store cannot be read (" + std::string(error.what()) +
           "): rank 0 or torchrun's agent, which hosts it, has likely died.";
  }
}

int64_t DistributedGroup::recordedProgress(int64_t rank) {
  if (!store_->check({progressKey(rank)})) return -1;
  const std::vector<uint8_t> value = store_->get(progressKey(rank));
  return std::stoll(std::string(value.begin(), value.end()));
}

}  // namespace wsss
