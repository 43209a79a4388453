#pragma once
// Reading the tensors of a file written by Python's torch.save(model.state_dict(), path).
#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

namespace wsss {

// The file's tensors by name, in file order, on the CPU. Throws wsss::Error naming the file and
// the Python export line when the file is not a torch.save'd dict of tensors.
std::vector<std::pair<std::string, torch::Tensor>> readStateDict(const std::string& path);

// The Python line that writes a file readStateDict() reads, for error messages.
const char* stateDictExportHint();

}  // namespace wsss
