#pragma once
// The `wsss` command line: `wsss <command> [options] [key.sub=value ...]`.

namespace wsss {

int runCli(int argc, char** argv);

}  // namespace wsss
