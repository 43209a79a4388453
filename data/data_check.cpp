#include "data/data_check.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

namespace wsss {

namespace {

constexpr size_t kIdsShown = 20;

struct Job {
  const VocDataset* dataset = nullptr;
  size_t index = 0;
};

}  // namespace

size_t DataCheckReport::count(ProblemKind kind) const {
  const auto found = problems.find(kind);
  return found == problems.end() ? 0 : found->second.size();
}

std::vector<std::string> DataCheckReport::ids(ProblemKind kind) const {
  std::vector<std::string> result;
  const auto found = problems.find(kind);
  if (found == problems.end()) return result;
  for (const DataProblem& problem : found->second) result.push_back(problem.id);
  return result;
}

size_t DataCheckReport::totalProblems() const {
  size_t total = 0;
  for (const auto& [kind, list] : problems) total += list.size();
  return total;
}

DataCheckReport checkDataset(const std::vector<SplitToCheck>& splits) {
  DataCheckReport report;
  if (splits.empty()) return report;
  report.root = splits.front().options.root;
  std::vector<DataProblem> listProblems;
  std::vector<VocDataset> datasets;
  datasets.reserve(splits.size());
  for (const SplitToCheck& split : splits) {
    datasets.emplace_back(split.options, split.split, listProblems);
    report.splits.push_back({split.split, datasets.back().size(), split.options.needs});
  }

  std::vector<Job> jobs;
  std::set<std::string> seen;
  for (const VocDataset& dataset : datasets) {
    for (size_t index = 0; index < dataset.size(); ++index) {
      if (seen.insert(dataset.id(index)).second) jobs.push_back({&dataset, index});
    }
  }
  report.imagesChecked = jobs.size();

  // Each job writes only its own slot, so the report keeps list order whatever the threads do.
  std::vector<std::vector<DataProblem>> found(jobs.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    Sample sample;
    for (size_t job = next++; job < jobs.size(); job = next++) {
      const VocDataset& dataset = *jobs[job].dataset;
      try {
        found[job] = dataset.inspect(jobs[job].index, sample);
      } catch (const std::exception& error) {
        const std::string& id = dataset.id(jobs[job].index);
        found[job].push_back({ProblemKind::UnreadableImage, id, dataset.imagePath(id),
                              std::string("reading image ") + id + " failed: " + error.what()});
      }
    }
  };
  const size_t threads =
      std::min<size_t>(static_cast<size_t>(std::max<int64_t>(1, splits.front().options.workers)),
                       std::max<size_t>(1, jobs.size()));
  std::vector<std::thread> pool;
  for (size_t thread = 1; thread < threads; ++thread) pool.emplace_back(work);
  work();
  for (std::thread& thread : pool) thread.join();

  for (DataProblem& problem : listProblems) {
    report.problems[problem.kind].push_back(std::move(problem));
  }
  for (std::vector<DataProblem>& list : found) {
    for (DataProblem& problem : list) report.problems[problem.kind].push_back(std::move(problem));
  }
  return report;
}

DataCheckReport checkDataset(const DataOptions& options, const std::vector<std::string>& splits) {
  std::vector<SplitToCheck> checks;
  for (const std::string& split : splits) checks.push_back({split, options});
  return checkDataset(checks);
}

std::string formatDataCheckReport(const DataCheckReport& report) {
  std::ostringstream out;
  out << "data-check of " << report.root << "\n";
  bool saliencyRead = false;
  bool pointsRead = false;
  for (const CheckedSplit& split : report.splits) {
    out << "  " << split.name << ": " << split.images << " images";
    if (split.needs.saliency()) out << ", saliency maps (" << split.needs.saliencyFor << ")";
    if (split.needs.points()) out << ", clicks (" << split.needs.pointsFor << ")";
    out << "\n";
    saliencyRead = saliencyRead || split.needs.saliency();
    pointsRead = pointsRead || split.needs.points();
  }
  // Said outright, so that a clean report is not taken to vouch for files it never opened.
  if (!saliencyRead) out << "  saliency maps: not checked, no method of the run reads them\n";
  if (!pointsRead) out << "  clicks: not checked, no method of the run reads them\n";
  out << "  distinct images checked: " << report.imagesChecked << "\n";
  for (const auto& [kind, list] : report.problems) {
    out << problemKindName(kind) << ": " << list.size() << " (";
    for (size_t i = 0; i < list.size() && i < kIdsShown; ++i) {
      out << (i ? ", " : "") << list[i].id;
    }
    if (list.size() > kIdsShown) out << ", and " << list.size() - kIdsShown << " more";
    out << ")\n";
    out << "  first: " << list.front().id << ": " << list.front().detail << "\n";
  }
  if (report.clean()) {
    out << "clean: no problems in " << report.imagesChecked << " images\n";
  } else {
    std::set<std::string> ids;
    for (const auto& [kind, list] : report.problems) {
      for (const DataProblem& problem : list) ids.insert(problem.id);
    }
    out << "NOT clean: " << report.totalProblems() << " problems affecting " << ids.size()
        << " ids\n";
  }
  return out.str();
}

}  // namespace wsss
