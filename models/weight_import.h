#pragma once
// Pretrained weights from Python: a file written by
//   torch.save(torchvision.models.resnet50(weights=...).state_dict(), "resnet50.pt")
// copied by name into a backbone whose parameter and buffer names follow torchvision's.
#include <torch/torch.h>

#include <string>
#include <vector>

namespace wsss {

struct WeightImportReport {
  std::string path;
  std::vector<std::string> loaded;      // module names that received a tensor
  std::vector<std::string> ignored;     // file entries expected to have no place (fc.*)
  std::vector<std::string> unexpected;  // other file entries the module does not have
  // BatchNorm step counters absent from older torchvision files; they only matter with a
  // momentum of None, so they keep their current value.
  std::vector<std::string> missingCounters;
};

// Copies every tensor of the state_dict file at `path` into `module` (under no-grad, keeping
// each parameter's requires_grad). Keys may carry "module." or "backbone." prefixes. Throws
// wsss::Error naming the file when it is not a torch.save'd dict of tensors, or listing every
// missing and mis-shaped name; unexpected names are reported and logged as a warning.
WeightImportReport loadTorchvisionWeights(torch::nn::Module& module, const std::string& path);

}  // namespace wsss
