#pragma once
// Object names from PASCAL VOC Annotations/<id>.xml files, the source of image-level labels.
// The files are small and regular, so a strict little scanner does instead of an XML library.
#include <string>
#include <vector>

namespace wsss {

// Names of the <object> elements, in file order, whitespace trimmed. Names inside <part>
// (the person layout) are body parts, not objects; difficult and truncated objects count.
// Throws wsss::Error naming the file when it is missing or not well-formed.
std::vector<std::string> readAnnotationObjectNames(const std::string& path);

// The same on text in memory; `origin` names it in errors.
std::vector<std::string> parseAnnotationObjectNames(const std::string& xml,
                                                    const std::string& origin);

}  // namespace wsss
