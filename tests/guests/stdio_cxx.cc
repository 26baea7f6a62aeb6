// A C++ program on iostreams: reads whitespace-separated integers from
// std::cin, prints their sum on std::cout and a count on std::cerr.
#include <iostream>
#include <string>

int main() {
  long long sum = 0;
  int count = 0;
  long long value = 0;
  while (std::cin >> value) {
    sum += value;
    ++count;
  }
  std::cout << "sum " << sum << std::endl;
  std::cerr << "read " << count << " numbers" << std::endl;
  return count == 0 ? 1 : 0;
}
