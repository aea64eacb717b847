// Checks that every code block in docs/ marked `<!-- snippet: path -->` appears verbatim in the
// file it names, so the guides quote code that compiles and cannot drift from it.

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

std::vector<std::string> lines_of(const fs::path& p) {
  std::ifstream in{p};
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r'))
      line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

bool contains(const std::vector<std::string>& haystack, const std::vector<std::string>& needle) {
  if (needle.empty())
    return false;
  for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    std::size_t j = 0;
    while (j < needle.size() && haystack[i + j] == needle[j])
      ++j;
    if (j == needle.size())
      return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: doc_snippets <source-root>\n";
    return 2;
  }
  fs::path root{argv[1]};
  const std::string marker = "<!-- snippet: ";
  int checked = 0;
  int failed = 0;
  std::vector<fs::path> docs{root / "README.md"};
  for (const auto& entry : fs::recursive_directory_iterator(root / "docs"))
    if (entry.path().extension() == ".md")
      docs.push_back(entry.path());
  for (const auto& path : docs) {
    auto doc = lines_of(path);
    for (std::size_t i = 0; i < doc.size(); ++i) {
      auto at = doc[i].find(marker);
      if (at == std::string::npos)
        continue;
      auto source = doc[i].substr(at + marker.size());
      source = source.substr(0, source.find(" -->"));
      std::vector<std::string> block;
      std::size_t j = i + 2;  // skip the opening fence
      for (; j < doc.size() && doc[j].rfind("```", 0) != 0; ++j)
        block.push_back(doc[j]);
      ++checked;
      if (!contains(lines_of(root / source), block)) {
        ++failed;
        std::cerr << path.string() << ":" << i + 1 << ": snippet not found in " << source << "\n";
      }
    }
  }
  std::cout << checked << " snippets checked, " << failed << " stale\n";
  return failed == 0 && checked > 0 ? 0 : 1;
}
