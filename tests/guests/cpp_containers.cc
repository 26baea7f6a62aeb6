// A C++ guest for `deja run`: libc++ strings, vectors, maps and iostreams
// (without exceptions: Debian's wasm libc++abi has none).
#include <algorithm>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  std::vector<std::string> words(argv + 1, argv + argc);
  if (words.empty()) words = {"pear", "apple", "fig", "apple"};
  std::map<std::string, int> counts;
  for (const std::string& w : words) ++counts[w];
  std::sort(words.begin(), words.end());
  std::ostringstream joined;
  for (const std::string& w : words) joined << w << ' ';
  std::cout << "sorted: " << joined.str() << "\n";
  for (const auto& [word, count] : counts) std::cout << word << ": " << count << "\n";
  std::string total = "total " + std::to_string(words.size());
  std::cout << total << std::endl;
  return 0;
}
