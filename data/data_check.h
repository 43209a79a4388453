#pragma once
// data-check: reads every image of some splits the way a run would and collects every problem
// instead of stopping at the first, so a broken devkit is fixed in one pass. Saliency maps and
// clicks are checked where a method reads them (DataOptions::needs) and otherwise left alone,
// as the run leaves them.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "data/data_options.h"
#include "data/voc_dataset.h"

namespace wsss {

// A split to check and the options it is read with: the training split with what its methods
// need, the others as evaluation reads them.
struct SplitToCheck {
  std::string split;
  DataOptions options;
};

struct CheckedSplit {
  std::string name;
  size_t images = 0;  // ids in its list (0 if it is missing)
  DataNeeds needs;    // what was read besides images, masks and labels
};

struct DataCheckReport {
  std::string root;
  std::vector<CheckedSplit> splits;  // in the order asked
  // Distinct ids read; an id in several splits is read once, as its first split reads it.
  size_t imagesChecked = 0;
  // Problems by kind, each list in split order then list order.
  std::map<ProblemKind, std::vector<DataProblem>> problems;

  bool clean() const { return problems.empty(); }
  size_t count(ProblemKind kind) const;
  std::vector<std::string> ids(ProblemKind kind) const;
  size_t totalProblems() const;
};

// Checks the splits with max(1, workers) threads (the first split's data.workers); the report
// names the first split's root. Throws only for bad options (an unknown label source, a broken
// class list); data problems go into the report.
DataCheckReport checkDataset(const std::vector<SplitToCheck>& splits);
// Every split read with the same options.
DataCheckReport checkDataset(const DataOptions& options, const std::vector<std::string>& splits);

// A summary for people: images per split and what besides images, masks and labels was read
// (saliency maps or clicks that no split reads are named as not checked), then per kind
// "kind: N (id, id, ... and K more)" with the first problem's detail, ending with a line that
// says clean or not.
std::string formatDataCheckReport(const DataCheckReport& report);

}  // namespace wsss
