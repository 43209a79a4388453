// The dense CRF on images held in .npy files, timed: what tests/reference/dense_crf_reference.py
// runs against pydensecrf (CMake target crf_driver).
//
// usage: crf_driver --images IMAGES.npy (--probabilities P.npy | --labels LABELS.npy)
//                   [--compatibility MU.npy] [--out Q.npy] [--threads N] [--repeat N]
//                   [key=value ...]
//   IMAGES  B x H x W x 3 uint8 RGB
//   P       B x L x H x W float32 softmax outputs (denseCrfBatch)
//   LABELS  B x H x W int64 in [0, L) or 255 (labelUnary with crf.gt_prob, then meanField per
//           image); needs labels=L among the options
//   MU      L x L float32 or float64 compatibility (default Potts)
//   key=value  `crf:` options (iterations=10, pos_xy_std=3, ...), as in a config file
// Prints one JSON line: images, threads, and the wall-clock and CPU seconds of each repeat of
// the whole batch.
#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/config/config_loader.h"
#include "core/error.h"
#include "models/crf/dense_crf.h"

namespace {

// A C-order .npy array of float32, float64, uint8 or int64 (little endian), versions 1-3.
torch::Tensor readNpy(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  WSSS_CHECK(file, "cannot open ", path);
  char magic[8];
  file.read(magic, 8);
  WSSS_CHECK(file && std::memcmp(magic, "\x93NUMPY", 6) == 0, path, " is not a .npy file");
  uint32_t headerSize = 0;
  if (magic[6] == 1) {
    uint16_t small = 0;
    file.read(reinterpret_cast<char*>(&small), 2);
    headerSize = small;
  } else {
    file.read(reinterpret_cast<char*>(&headerSize), 4);
  }
  std::string header(headerSize, ' ');
  file.read(header.data(), headerSize);
  WSSS_CHECK(header.find("'fortran_order': False") != std::string::npos, path,
             ": only C-order arrays are read (np.ascontiguousarray)");
  const std::map<std::string, torch::ScalarType> types = {{"'<f4'", torch::kFloat32},
                                                          {"'<f8'", torch::kFloat64},
                                                          {"'|u1'", torch::kUInt8},
                                                          {"'<i8'", torch::kInt64}};
  torch::ScalarType type = torch::kFloat32;
  bool known = false;
  for (const auto& [word, scalar] : types) {
    if (header.find("'descr': " + word) != std::string::npos) {
      type = scalar;
      known = true;
    }
  }
  WSSS_CHECK(known, path, ": dtype must be float32, float64, uint8 or int64; header ", header);
  const size_t open = header.find('(', header.find("'shape'"));
  const size_t close = header.find(')', open);
  std::vector<int64_t> shape;
  std::stringstream dims(header.substr(open + 1, close - open - 1));
  for (std::string item; std::getline(dims, item, ',');) {
    if (item.find_first_not_of(' ') != std::string::npos) shape.push_back(std::stoll(item));
  }
  torch::Tensor out = torch::empty(shape, type);
  file.read(static_cast<char*>(out.data_ptr()), static_cast<std::streamsize>(out.nbytes()));
  WSSS_CHECK(file, path, " ends before its ", out.nbytes(), " bytes of data");
  return out;
}

// CPU time of every thread of the process: on a shared machine, the time a one-thread run
// would take with a core to itself.
double processCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

void writeNpy(const std::string& path, const torch::Tensor& tensor) {
  const torch::Tensor data = tensor.to(torch::kFloat32).contiguous();
  std::string shape;
  for (const int64_t size : data.sizes()) shape += std::to_string(size) + ", ";
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + shape + "), }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::ofstream file(path, std::ios::binary);
  WSSS_CHECK(file, "cannot write ", path);
  file.write("\x93NUMPY\x01\x00", 8);
  const auto size = static_cast<uint16_t>(header.size());
  file.write(reinterpret_cast<const char*>(&size), 2);
  file.write(header.data(), static_cast<std::streamsize>(header.size()));
  file.write(static_cast<const char*>(data.data_ptr()),
             static_cast<std::streamsize>(data.nbytes()));
}

int run(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  std::vector<std::string> overrides;
  int64_t labelCount = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string argument = argv[i];
    if (argument.rfind("--", 0) == 0) {
      WSSS_CHECK(i + 1 < argc, argument, " needs a value");
      flags[argument.substr(2)] = argv[++i];
    } else if (argument.rfind("labels=", 0) == 0) {
      labelCount = std::stoll(argument.substr(7));
    } else {
      overrides.push_back(argument);
    }
  }
  WSSS_CHECK(
      flags.count("images") == 1 && (flags.count("probabilities") + flags.count("labels")) == 1,
      "give --images and one of --probabilities, --labels (see the usage at the top of "
      "benchmarks/crf/crf_driver.cpp)");
  auto options = wsss::readConfigText<wsss::DenseCrfOptions>("", "crf_driver", overrides);
  if (flags.count("compatibility")) {
    const torch::Tensor mu = readNpy(flags["compatibility"]).to(torch::kFloat64).contiguous();
    options.compatibility.assign(mu.data_ptr<double>(), mu.data_ptr<double>() + mu.numel());
  }
  if (flags.count("threads")) torch::set_num_threads(std::stoi(flags["threads"]));
  const int repeats = flags.count("repeat") ? std::stoi(flags["repeat"]) : 1;

  const torch::Tensor images = readNpy(flags["images"]);
  torch::Tensor probabilities, labels;
  if (flags.count("probabilities")) {
    probabilities = readNpy(flags["probabilities"]);
  } else {
    labels = readNpy(flags["labels"]);
    WSSS_CHECK(labelCount >= 2, "--labels needs labels=L (the number of labels) too");
  }

  torch::Tensor q;
  std::vector<double> seconds, cpuSeconds;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    const double cpuStart = processCpuSeconds();
    if (probabilities.defined()) {
      q = wsss::denseCrfBatch(probabilities, images, options);
    } else {
      std::vector<torch::Tensor> each;
      for (int64_t b = 0; b < labels.size(0); ++b) {
        each.push_back(wsss::meanField(wsss::labelUnary(labels[b], labelCount, options.gtProb),
                                       images[b], options));
      }
      q = torch::stack(each);
    }
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    cpuSeconds.push_back(processCpuSeconds() - cpuStart);
  }
  if (flags.count("out")) writeNpy(flags["out"], q);
  std::cout << "{\"images\": " << images.size(0) << ", \"threads\": " << torch::get_num_threads()
            << ", \"seconds\": [";
  for (size_t r = 0; r < seconds.size(); ++r) std::cout << (r ? ", " : "") << seconds[r];
  std::cout << "], \"cpu_seconds\": [";
  for (size_t r = 0; r < cpuSeconds.size(); ++r) std::cout << (r ? ", " : "") << cpuSeconds[r];
  std::cout << "]}" << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& error) {
    std::cerr << "error: " << error.what() << std::endl;
    return 1;
  }
}
