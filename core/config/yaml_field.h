#pragma once
// Typed reading of one parsed YAML value into an option field. Included by .cpp files that
// already use yaml-cpp; the forward declaration keeps yaml-cpp out of every other header.
#include <string>

#include "core/config/option_table.h"

namespace YAML {
class Node;
}

namespace wsss {

// Writes the value into the field's member when it has the field's type and returns "";
// otherwise leaves the member alone and returns what was expected and what came.
std::string readYamlField(const OptionField& field, const YAML::Node& value);
// "'abc'", "the quoted string \"5\"", "a list", "a map", "nothing": for error messages.
std::string describeYamlValue(const YAML::Node& value);

}  // namespace wsss
