#include "app/cli.hpp"

int main(int argc, char** argv) {
  return uda::run_cli(argc, argv);
}
