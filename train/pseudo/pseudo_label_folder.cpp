#include "train/pseudo/pseudo_label_folder.h"

#include <filesystem>

#include "core/error.h"
#include "data/voc_dataset.h"
#include "train/experiment_config.h"

namespace wsss {

namespace fs = std::filesystem;

DataOptions trainingDataOptions(const ExperimentConfig& config, const LossTermList& terms) {
  DataOptions data = config.data;
  if (config.supervision == Supervision::PseudoDir) {
    // An absolute folder replaces data.root when the dataset joins root and mask folder.
    data.maskDirs = {fs::absolute(config.pseudo.dir).lexically_normal().string()};
  }
  // Saliency maps and clicks are read only for a term that uses them, so a devkit without
  // them serves every other run.
  data.needs.saliencyFor = firstEnabledTermNeeding(terms, config, &LossTermNeeds::saliency);
  data.needs.pointsFor = firstEnabledTermNeeding(terms, config, &LossTermNeeds::points);
  return data;
}

void checkPseudoLabelFolder(const ExperimentConfig& config, const VocDataset& trainSet) {
  if (config.supervision != Supervision::PseudoDir) return;
  const fs::path folder(config.pseudo.dir);
  const std::string howToMake =
      "make them with `wsss pseudo --config FILE --checkpoint CKPT "
      "--split " +
      trainSet.split() + " --work-dir DIR` and set pseudo.dir to DIR/labels";
  WSSS_CHECK(fs::is_directory(folder), "pseudo.dir ", config.pseudo.dir,
             " is not a folder (supervision pseudo_dir trains on the <id>.png files in it; ",
             howToMake, ")");
  std::string missing;
  size_t missingCount = 0;
  for (size_t index = 0; index < trainSet.size(); ++index) {
    const std::string& id = trainSet.id(index);
    if (fs::is_regular_file(folder / (id + ".png"))) continue;
    if (++missingCount <= 5) missing += (missing.empty() ? "" : ", ") + id;
  }
  WSSS_CHECK(missingCount == 0, "pseudo.dir ", config.pseudo.dir, " has no pseudo-label for ",
             missingCount, " of the ", trainSet.size(), " images of split ", trainSet.split(), " (",
             missing, missingCount > 5 ? ", ..." : "", "); ", howToMake);
}

}  // namespace wsss
