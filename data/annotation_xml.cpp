#include "data/annotation_xml.h"

#include "core/error.h"
#include "core/text.h"
#include "data/image_io.h"

namespace wsss {

namespace {

std::string decodeEntities(const std::string& text) {
  static const std::pair<const char*, char> kEntities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
  std::string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    bool replaced = false;
    if (text[pos] == '&') {
      for (const auto& [entity, character] : kEntities) {
        if (text.compare(pos, std::char_traits<char>::length(entity), entity) == 0) {
          out += character;
          pos += std::char_traits<char>::length(entity);
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += text[pos++];
  }
  return out;
}

// End of a tag starting at `open` ('<'): the '>' that is not inside a quoted attribute.
size_t findTagEnd(const std::string& xml, size_t open) {
  char quote = 0;
  for (size_t pos = open + 1; pos < xml.size(); ++pos) {
    const char c = xml[pos];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '>') {
      return pos;
    }
  }
  return std::string::npos;
}

size_t lineOf(const std::string& xml, size_t pos) {
  size_t line = 1;
  for (size_t i = 0; i < pos && i < xml.size(); ++i) line += xml[i] == '\n';
  return line;
}

}  // namespace

std::vector<std::string> parseAnnotationObjectNames(const std::string& xml,
                                                    const std::string& origin) {
  std::vector<std::string> names;
  std::vector<std::string> open;  // element names from the root down
  std::string text;               // character data of the innermost <name>
  auto inName = [&] { return !open.empty() && open.back() == "name"; };
  auto malformed = [&](size_t pos, const std::string& what) {
    WSSS_FAIL("annotation ", origin, " is not well-formed XML: ", what, " at line ",
              lineOf(xml, pos), " (replace it with the file from the VOC devkit)");
  };

  size_t pos = 0;
  while (pos < xml.size()) {
    const size_t tag = xml.find('<', pos);
    if (inName()) text += xml.substr(pos, tag == std::string::npos ? tag : tag - pos);
    if (tag == std::string::npos) break;

    if (xml.compare(tag, 4, "<!--") == 0) {
      const size_t end = xml.find("-->", tag + 4);
      if (end == std::string::npos) malformed(tag, "unterminated comment");
      pos = end + 3;
      continue;
    }
    if (xml.compare(tag, 9, "<![CDATA[") == 0) {
      const size_t end = xml.find("]]>", tag + 9);
      if (end == std::string::npos) malformed(tag, "unterminated CDATA section");
      if (inName()) text += xml.substr(tag + 9, end - tag - 9);
      pos = end + 3;
      continue;
    }
    const size_t end = findTagEnd(xml, tag);
    if (end == std::string::npos) malformed(tag, "unterminated tag");
    pos = end + 1;
    const std::string body = xml.substr(tag + 1, end - tag - 1);
    if (body.empty()) malformed(tag, "empty tag");
    if (body[0] == '?' || body[0] == '!') continue;  // declaration or DOCTYPE

    if (body[0] == '/') {
      const std::string name = trim(body.substr(1));
      if (open.empty()) malformed(tag, "closing </" + name + "> without an open element");
      if (open.back() != name) {
        malformed(tag, "closing </" + name + "> while <" + open.back() + "> is open");
      }
      if (name == "name" && open.size() >= 2 && open[open.size() - 2] == "object") {
        names.push_back(trim(decodeEntities(text)));
      }
      open.pop_back();
      continue;
    }
    const bool selfClosing = body.back() == '/';
    const size_t nameEnd = body.find_first_of(" \t\r\n/");
    const std::string name = body.substr(0, nameEnd);
    if (name.empty()) malformed(tag, "tag without a name");
    if (selfClosing) continue;
    open.push_back(name);
    if (name == "name") text.clear();
  }
  if (!open.empty()) malformed(xml.size(), "<" + open.back() + "> is never closed");
  return names;
}

std::vector<std::string> readAnnotationObjectNames(const std::string& path) {
  const std::vector<uint8_t> bytes = readFileBytes(path);
  return parseAnnotationObjectNames(std::string(bytes.begin(), bytes.end()), path);
}

}  // namespace wsss
