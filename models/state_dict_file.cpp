#include "models/state_dict_file.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/unpickler.h>

#include <cstring>
#include <filesystem>
#include <optional>
#include <string_view>

#include "core/error.h"

namespace wsss {

namespace {

// Python's state_dict() is a collections.OrderedDict. Pickle (protocol 2, torch.save's) writes
// one as
//   GLOBAL 'collections OrderedDict' (or a memo get of it), EMPTY_TUPLE, REDUCE, <items>,
//   [<attribute dict> BUILD]
// where BUILD sets attributes such as `_metadata`. LibTorch's unpickler (behind
// torch::pickle_load) reads every OrderedDict as None, as it expects them only as a tensor's
// empty backward hooks, and cannot BUILD a dict, so such a file does not load as it is. The
// pickle is rewritten op by op before unpickling: each OrderedDict construction becomes
// EMPTY_DICT (a tensor's hooks, ignored by the unpickler, become an empty dict too), and each
// BUILD becomes TUPLE2, leaving (dict, attributes), which dropAttributes() undoes.
class OrderedDictRewriter {
 public:
  explicit OrderedDictRewriter(const std::string& pickle) : in_(pickle) {}

  // The rewritten pickle, or nullopt when an op is not one pickle protocol 2 writes.
  std::optional<std::string> run() {
    while (position_ < in_.size()) {
      const size_t start = position_;
      const char op = in_[position_];
      if (!skipOp()) return std::nullopt;
      const std::string_view text(in_.data() + start, position_ - start);
      if (op == 'c' && text == "ccollections\nOrderedDict\n") {
        // The class is memoised right after its GLOBAL; that memo becomes the dict itself and
        // is otherwise never read, since every later get of the class is rewritten below.
        out_ += '}';
        if (!copyClassMemoPut() || !dropEmptyCall()) return std::nullopt;
      } else if ((op == 'h' || op == 'j') && isClassGet(text) && nextIsEmptyCall()) {
        out_ += '}';
        dropEmptyCall();
      } else if (op == 'b') {
        out_ += '\x86';  // TUPLE2: (object, attributes)
      } else {
        out_.append(text);
      }
    }
    return out_;
  }

 private:
  // Moves past one op and its argument; false for an op outside protocol 2 or a cut-off one.
  bool skipOp() {
    // Protocol 2's ops by the layout of their argument.
    static const std::string_view noArgument = "(.012NRabd}el]ostu)Q\x81\x85\x86\x87\x88\x89";
    static const std::string_view oneByte = "Khq\x80\x82";
    static const std::string_view twoBytes = "M\x83";
    static const std::string_view fourBytes = "Jjr\x84";
    static const std::string_view eightBytes = "G";
    static const std::string_view byteCounted = "UC\x8a";   // a 1-byte length, then the bytes
    static const std::string_view wordCounted = "XTB\x8b";  // a 4-byte length, then the bytes
    static const std::string_view oneLine = "ILFSVPgp";
    static const std::string_view twoLines = "ci";
    const char op = in_[position_++];
    auto isIn = [op](std::string_view ops) { return ops.find(op) != std::string_view::npos; };
    if (isIn(noArgument)) return true;
    if (isIn(oneByte)) return advance(1);
    if (isIn(twoBytes)) return advance(2);
    if (isIn(fourBytes)) return advance(4);
    if (isIn(eightBytes)) return advance(8);
    if (isIn(byteCounted)) return advanceCounted(1);
    if (isIn(wordCounted)) return advanceCounted(4);
    if (isIn(oneLine)) return advanceLine();
    if (isIn(twoLines)) return advanceLine() && advanceLine();
    return false;
  }

  bool advance(size_t count) {
    if (in_.size() - position_ < count) return false;
    position_ += count;
    return true;
  }

  // Past a little-endian length of `lengthBytes` bytes and as many bytes after it.
  bool advanceCounted(size_t lengthBytes) {
    if (in_.size() - position_ < lengthBytes) return false;
    uint64_t length = 0;
    for (size_t i = 0; i < lengthBytes; ++i) {
      length |= static_cast<uint64_t>(static_cast<unsigned char>(in_[position_ + i])) << (8 * i);
    }
    position_ += lengthBytes;
    return advance(static_cast<size_t>(length));
  }

  bool advanceLine() {
    const size_t end = in_.find('\n', position_);
    if (end == std::string::npos) return false;
    position_ = end + 1;
    return true;
  }

  // Copies the BINPUT / LONG_BINPUT after the class's GLOBAL, remembering its index.
  bool copyClassMemoPut() {
    if (position_ >= in_.size() || (in_[position_] != 'q' && in_[position_] != 'r')) return true;
    const size_t start = position_;
    if (!skipOp()) return false;
    const std::string_view put(in_.data() + start, position_ - start);
    out_.append(put);
    classMemo_ = memoIndex(put);
    return true;
  }

  // The index of a memo put or get: its argument, little-endian.
  static uint32_t memoIndex(std::string_view op) {
    uint32_t index = 0;
    for (size_t i = 1; i < op.size(); ++i) {
      index |= static_cast<uint32_t>(static_cast<unsigned char>(op[i])) << (8 * (i - 1));
    }
    return index;
  }

  bool isClassGet(std::string_view get) const {
    return classMemo_.has_value() && memoIndex(get) == classMemo_;
  }

  bool nextIsEmptyCall() const { return in_.compare(position_, 2, ")R") == 0; }

  bool dropEmptyCall() {
    if (!nextIsEmptyCall()) return false;
    position_ += 2;
    return true;
  }

  const std::string& in_;
  std::string out_;
  size_t position_ = 0;
  std::optional<uint32_t> classMemo_;
};

// A BUILD on a dict left (dict, attributes); the attributes only matter to Python.
c10::IValue dropAttributes(const c10::IValue& value) {
  if (value.isTuple()) {
    const auto& elements = value.toTupleRef().elements();
    if (elements.size() == 2 && elements[0].isGenericDict() && elements[1].isGenericDict()) {
      return elements[0];
    }
  }
  return value;
}

c10::IValue unpickleArchive(const std::string& path) {
  caffe2::serialize::PyTorchStreamReader archive(path);
  auto [pickleData, pickleSize] = archive.getRecord("data.pkl");
  const std::string original(static_cast<const char*>(pickleData.get()), pickleSize);
  // An op outside protocol 2 leaves the pickle as it is, for the unpickler to report.
  const std::string pickle = OrderedDictRewriter(original).run().value_or(original);

  size_t consumed = 0;
  auto reader = [&](char* buffer, size_t length) -> size_t {
    length = std::min(length, pickle.size() - consumed);
    std::memcpy(buffer, pickle.data() + consumed, length);
    consumed += length;
    return length;
  };
  // Tensor storages are records "data/<key>" beside the pickle.
  auto readRecord = [&](const std::string& name) {
    return std::get<0>(archive.getRecord("data/" + name));
  };
  torch::jit::Unpickler unpickler(reader, /*type_resolver=*/nullptr, /*obj_loader=*/nullptr,
                                  readRecord, torch::Device(torch::kCPU));
  unpickler.set_version(archive.version());
  return dropAttributes(unpickler.parse_ivalue());
}

}  // namespace

const char* stateDictExportHint() {
  return "write it from Python with: python3 -c \"import torch, torchvision; "
         "torch.save(torchvision.models.resnet50(weights='IMAGENET1K_V1').state_dict(), "
         "'resnet50.pt')\"";
}

std::vector<std::pair<std::string, torch::Tensor>> readStateDict(const std::string& path) {
  WSSS_CHECK(std::filesystem::is_regular_file(path), "cannot open pretrained weights '", path,
             "' (model.pretrained); ", stateDictExportHint());
  c10::IValue value;
  try {
    value = unpickleArchive(path);
  } catch (const c10::Error& error) {
    WSSS_FAIL("'", path, "' is not a file written by torch.save (", error.what_without_backtrace(),
              "); ", stateDictExportHint());
  }
  // Checkpoints that wrap the weights one level down ({"state_dict": ...} or {"model": ...})
  // are unwrapped, so that common training scripts' files load too.
  if (value.isGenericDict() && value.toGenericDict().size() == 1) {
    for (const char* key : {"state_dict", "model"}) {
      const auto dict = value.toGenericDict();
      auto found = dict.find(c10::IValue(std::string(key)));
      if (found != dict.end() && dropAttributes(found->value()).isGenericDict()) {
        value = dropAttributes(found->value());
        break;
      }
    }
  }
  WSSS_CHECK(value.isGenericDict(), "'", path, "' holds a ", value.tagKind(),
             ", not a state_dict (a dict of tensors); ", stateDictExportHint());
  std::vector<std::pair<std::string, torch::Tensor>> entries;
  for (const auto& entry : value.toGenericDict()) {
    WSSS_CHECK(entry.key().isString() && entry.value().isTensor(), "'", path,
               "' is a dict but not a state_dict: every key must be a name and every value a "
               "tensor (a whole pickled model does not load; save model.state_dict()); ",
               stateDictExportHint());
    entries.emplace_back(entry.key().toStringRef(), entry.value().toTensor());
  }
  return entries;
}

}  // namespace wsss
