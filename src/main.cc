// vkube entry point: parses the command line and wires modules together; no logic of its own.
#include <cstdio>

int main(int argc, char** argv) {
  std::fprintf(stderr, "usage: vkube serve --data-dir DIR --listen HOST:PORT\n");
  return argc > 1 ? 0 : 2;
}
