#include "train/checkpoints/checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>

#include <filesystem>
#include <mutex>

#include "core/atomic_file.h"
#include "core/error.h"
#include "train/checkpoints/archive_integrity.h"

namespace wsss {

namespace {

torch::Tensor generatorState(at::Generator generator) {
  std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.get_state();
}

void setGeneratorState(at::Generator generator, const torch::Tensor& state) {
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(state);
}

int64_t cudaDevices() { return torch::cuda::is_available() ? torch::cuda::device_count() : 0; }

at::Generator cudaGenerator(int64_t index) {
  return at::globalContext().defaultGenerator(
      torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index)));
}

void writeProgress(torch::serialize::OutputArchive& archive, const TrainingProgress& progress) {
  archive.write("format_version", c10::IValue(kCheckpointFormat));
  archive.write("iteration", c10::IValue(progress.iteration));
  archive.write("sampler", samplerStateToTensor(progress.sampler));
  archive.write("best_metric", c10::IValue(progress.bestMetric));
  archive.write("best_iteration", c10::IValue(progress.bestIteration));
  archive.write("config", c10::IValue(progress.configYaml));
}

c10::IValue readValue(torch::serialize::InputArchive& archive, const std::string& key,
                      const std::string& path) {
  c10::IValue value;
  WSSS_CHECK(archive.try_read(key, value), "checkpoint ", path, " has no '", key,
             "': it was not written by `wsss train`, or is damaged");
  return value;
}

TrainingProgress readProgress(torch::serialize::InputArchive& archive, const std::string& path) {
  const int64_t format = readValue(archive, "format_version", path).toInt();
  WSSS_CHECK(format == kCheckpointFormat, "checkpoint ", path, " has format version ", format,
             " but this wsss reads version ", kCheckpointFormat,
             "; use the wsss version that wrote it");
  TrainingProgress progress;
  progress.iteration = readValue(archive, "iteration", path).toInt();
  torch::Tensor sampler;
  WSSS_CHECK(archive.try_read("sampler", sampler), "checkpoint ", path, " has no sampler state");
  try {
    progress.sampler = samplerStateFromTensor(sampler.cpu());
  } catch (const Error& error) {
    WSSS_FAIL("checkpoint ", path, " has a damaged ", error.what(),
              "; name an intact checkpoint");
  }
  progress.bestMetric = readValue(archive, "best_metric", path).toDouble();
  progress.bestIteration = readValue(archive, "best_iteration", path).toInt();
  progress.configYaml = readValue(archive, "config", path).toStringRef();
  return progress;
}

// The first line of what a library error says (c10's C++ backtrace and TorchScript's source
// excerpt follow it), so the error stays one line.
std::string libraryErrorText(const std::exception& error) {
  const auto* c10Error = dynamic_cast<const c10::Error*>(&error);
  const std::string text = c10Error ? c10Error->what_without_backtrace() : error.what();
  return text.substr(0, text.find('\n'));
}

// Runs `read` on the open archive. What the archive's reader throws for damaged bytes (c10
// errors, TorchScript's parser errors, a value of the wrong type) becomes an error naming the
// file.
template <class Read>
auto readDamageChecked(const std::string& path, Read&& read) {
  try {
    return read();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& error) {
    WSSS_FAIL("checkpoint ", path, " cannot be read (", libraryErrorText(error),
              "): the file is damaged or not a wsss checkpoint; name an intact one (a run "
              "keeps last.pt, best.pt and iter_*.pt in <work-dir>/checkpoints)");
  }
}

void openArchive(torch::serialize::InputArchive& archive, const std::string& path,
                 const torch::Device& device) {
  WSSS_CHECK(std::filesystem::is_regular_file(path), "checkpoint ", path,
             " does not exist; check the path (train writes <work-dir>/checkpoints/last.pt)");
  checkArchiveIntegrity(path);
  readDamageChecked(path, [&] { archive.load_from(path, device); });
}

// The CPU and CUDA generators as the checkpoint saved them (CUDA devices it has and this machine
// has).
void restoreGenerators(torch::serialize::InputArchive& archive, const std::string& path) {
  torch::Tensor cpuState;
  if (archive.try_read("rng_cpu", cpuState)) {
    setGeneratorState(at::detail::getDefaultCPUGenerator(), cpuState.cpu());
  }
  const int64_t savedDevices = readValue(archive, "rng_cuda_devices", path).toInt();
  for (int64_t index = 0; index < std::min(savedDevices, cudaDevices()); ++index) {
    torch::Tensor state;
    if (archive.try_read("rng_cuda_" + std::to_string(index), state)) {
      setGeneratorState(cudaGenerator(index), state.cpu());
    }
  }
}

std::string partKey(const std::string& name) { return "part_" + name; }

torch::Device deviceOf(const torch::nn::Module& network) {
  for (const auto& parameter : network.parameters()) return parameter.device();
  return torch::kCPU;
}

}  // namespace

std::string serializeCheckpoint(const torch::nn::Module& network,
                                const torch::optim::Optimizer* optimizer,
                                const TrainingProgress& progress,
                                const std::vector<CheckpointPart>& parts) {
  torch::serialize::OutputArchive archive;
  writeProgress(archive, progress);
  torch::serialize::OutputArchive networkArchive;
  network.save(networkArchive);
  archive.write("network", networkArchive);
  if (optimizer) {
    torch::serialize::OutputArchive optimizerArchive;
    optimizer->save(optimizerArchive);
    archive.write("optimizer", optimizerArchive);
  }
  for (const CheckpointPart& part : parts) {
    torch::serialize::OutputArchive partArchive;
    part.module->save(partArchive);
    archive.write(partKey(part.name), partArchive);
  }
  archive.write("rng_cpu", generatorState(at::detail::getDefaultCPUGenerator()));
  archive.write("rng_cuda_devices", c10::IValue(cudaDevices()));
  for (int64_t index = 0; index < cudaDevices(); ++index) {
    archive.write("rng_cuda_" + std::to_string(index), generatorState(cudaGenerator(index)));
  }
  std::string bytes;
  archive.save_to([&bytes](const void* data, size_t size) {
    bytes.append(static_cast<const char*>(data), size);
    return size;
  });
  return bytes;
}

void saveCheckpoint(const std::string& path, const torch::nn::Module& network,
                    const torch::optim::Optimizer* optimizer, const TrainingProgress& progress,
                    const std::vector<CheckpointPart>& parts) {
  writeFileAtomically(path, serializeCheckpoint(network, optimizer, progress, parts));
}

CheckpointFile::CheckpointFile(const std::string& path, const torch::Device& device)
    : path_(path), archive_(std::make_unique<torch::serialize::InputArchive>()) {
  openArchive(*archive_, path, device);
}

CheckpointFile::~CheckpointFile() = default;

TrainingProgress CheckpointFile::progress() const {
  return readDamageChecked(path_, [&] { return readProgress(*archive_, path_); });
}

bool CheckpointFile::hasPart(const std::string& name) const {
  return readDamageChecked(path_, [&] {
    torch::serialize::InputArchive part;
    return archive_->try_read(partKey(name), part);
  });
}

bool checkpointHasPart(const std::string& path, const std::string& name) {
  return CheckpointFile(path, torch::kCPU).hasPart(name);
}

TrainingProgress readCheckpointProgress(const std::string& path) {
  return CheckpointFile(path, torch::kCPU).progress();
}

TrainingProgress loadCheckpoint(const std::string& path, torch::nn::Module& network,
                                torch::optim::Optimizer* optimizer, bool restoreRandomState,
                                const std::vector<CheckpointPart>& parts) {
  return CheckpointFile(path, deviceOf(network))
      .load(network, optimizer, restoreRandomState, parts);
}

TrainingProgress CheckpointFile::load(torch::nn::Module& network,
                                      torch::optim::Optimizer* optimizer, bool restoreRandomState,
                                      const std::vector<CheckpointPart>& parts) {
  torch::serialize::InputArchive& archive = *archive_;
  const std::string& path = path_;
  TrainingProgress progress = this->progress();
  try {
    torch::serialize::InputArchive networkArchive;
    archive.read("network", networkArchive);
    network.load(networkArchive);
    if (optimizer) {
      torch::serialize::InputArchive optimizerArchive;
      WSSS_CHECK(archive.try_read("optimizer", optimizerArchive), "checkpoint ", path,
                 " holds weights only (no optimiser state), so training cannot resume from it");
      optimizer->load(optimizerArchive);
    }
    for (const CheckpointPart& part : parts) {
      torch::serialize::InputArchive partArchive;
      WSSS_CHECK(archive.try_read(partKey(part.name), partArchive), "checkpoint ", path,
                 " has no '", part.name, "' (it was written by a run without it)");
      part.module->load(partArchive);
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& error) {
    WSSS_FAIL("checkpoint ", path, " does not fit this network (", libraryErrorText(error),
              "); was it written with another model config?");
  }
  if (restoreRandomState) {
    readDamageChecked(path, [&] { restoreGenerators(archive, path); });
  }
  return progress;
}

}  // namespace wsss
