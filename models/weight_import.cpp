#include "models/weight_import.h"

#include <map>
#include <sstream>

#include "core/error.h"
#include "core/logging.h"
#include "models/state_dict_file.h"

namespace wsss {

namespace {

std::string stripPrefixes(std::string name) {
  for (bool stripped = true; stripped;) {
    stripped = false;
    for (const std::string prefix : {"module.", "backbone."}) {
      if (name.rfind(prefix, 0) == 0) {
        name = name.substr(prefix.size());
        stripped = true;
      }
    }
  }
  return name;
}

bool isClassifier(const std::string& name) { return name.rfind("fc.", 0) == 0; }

bool isStepCounter(const std::string& name) {
  const std::string suffix = "num_batches_tracked";
  return name.size() >= suffix.size() &&
         name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string joinNames(const std::vector<std::string>& names) {
  std::ostringstream text;
  for (size_t i = 0; i < names.size(); ++i) text << (i ? ", " : "") << names[i];
  return text.str();
}

std::string shapeText(const torch::Tensor& tensor) {
  std::ostringstream text;
  text << tensor.sizes();
  return text.str();
}

}  // namespace

WeightImportReport loadTorchvisionWeights(torch::nn::Module& module, const std::string& path) {
  std::map<std::string, torch::Tensor> file;
  for (auto& [name, tensor] : readStateDict(path)) file[stripPrefixes(name)] = tensor;

  WeightImportReport report;
  report.path = path;
  std::vector<std::string> missing, misShaped;
  std::vector<std::pair<torch::Tensor, torch::Tensor>> copies;  // (destination, source)
  auto visit = [&](const std::string& name, torch::Tensor& destination) {
    auto found = file.find(name);
    if (found == file.end()) {
      (isStepCounter(name) ? report.missingCounters : missing).push_back(name);
      return;
    }
    if (found->second.sizes() != destination.sizes()) {
      misShaped.push_back(name + " (file " + shapeText(found->second) + ", model " +
                          shapeText(destination) + ")");
    } else {
      copies.emplace_back(destination, found->second);
      report.loaded.push_back(name);
    }
    file.erase(found);
  };
  for (auto& item : module.named_parameters(/*recurse=*/true)) visit(item.key(), item.value());
  for (auto& item : module.named_buffers(/*recurse=*/true)) visit(item.key(), item.value());
  for (const auto& [name, tensor] : file) {
    (isClassifier(name) ? report.ignored : report.unexpected).push_back(name);
  }

  if (!missing.empty() || !misShaped.empty()) {
    std::ostringstream message;
    message << "pretrained weights '" << path << "' do not fit the backbone";
    if (!missing.empty()) message << "; missing: " << joinNames(missing);
    if (!misShaped.empty()) message << "; wrong shape: " << joinNames(misShaped);
    if (!report.unexpected.empty()) message << "; unexpected: " << joinNames(report.unexpected);
    message << " (is model.backbone the architecture the file was saved from?)";
    throw Error(message.str());
  }
  // Copy only once everything fits, so a failed import leaves the module untouched.
  torch::NoGradGuard noGrad;
  for (auto& [destination, source] : copies) destination.copy_(source);
  if (!report.unexpected.empty()) {
    logWarning("pretrained weights '" + path +
               "': ignored entries the backbone does not have: " + joinNames(report.unexpected));
  }
  return report;
}

}  // namespace wsss
