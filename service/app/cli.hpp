#pragma once
// `uda-agent` command line: run, check-config, submit, rules explain,
// jobs list|show|retry|cancel, triggers list|show, relationships list.

namespace uda {

int run_cli(int argc, char** argv);

}  // namespace uda
