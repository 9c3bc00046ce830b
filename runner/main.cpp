#include <cstring>
#include <iostream>

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--version") == 0) {
      std::cout << "xdist-run 0.1.0\n";
      return 0;
    }
  }
  std::cout << "usage: xdist-run [options] BINARY... [-- ARGS]\n";
  return 0;
}
