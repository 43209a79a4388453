#pragma once
// data-check: reads every image of some splits the way training would and collects every
// problem instead of stopping at the first, so a broken devkit is fixed in one pass.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "data/data_options.h"
#include "data/voc_dataset.h"

namespace wsss {

struct DataCheckReport {
  std::string root;
  // Per split, in the order asked: its name and how many ids its list holds (0 if missing).
  std::vector<std::pair<std::string, size_t>> imagesPerSplit;
  size_t imagesChecked = 0;  // distinct ids read; an id in several splits is read once
  // Problems by kind, each list in split order then list order.
  std::map<ProblemKind, std::vector<DataProblem>> problems;

  bool clean() const { return problems.empty(); }
  size_t count(ProblemKind kind) const;
  std::vector<std::string> ids(ProblemKind kind) const;
  size_t totalProblems() const;
};

// Checks the given splits of options.root with max(1, options.workers) threads. Throws only
// for bad options (an unknown label source, a broken class list); data problems go into the
// report.
DataCheckReport checkDataset(const DataOptions& options, const std::vector<std::string>& splits);

// A summary for people: images per split, then per kind "kind: N (id, id, ... and K more)"
// with the first problem's detail, ending with a line that says clean or not.
std::string formatDataCheckReport(const DataCheckReport& report);

}  // namespace wsss
