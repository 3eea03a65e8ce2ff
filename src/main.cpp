#include "cli/cli.hpp"

int main(int argc, char** argv) { return sbdeploy::cli::main(argc, argv); }
