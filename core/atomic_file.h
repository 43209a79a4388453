#pragma once
// Files that are either whole or absent: written beside the target, flushed, then renamed
// over it, so a crash or a full disk never leaves a half-written config or checkpoint.
#include <string>

namespace wsss {

void writeFileAtomically(const std::string& path, const std::string& contents);

}  // namespace wsss
