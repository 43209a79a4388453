#include "train/commands/cli.h"

int main(int argc, char** argv) { return wsss::runCli(argc, argv); }
