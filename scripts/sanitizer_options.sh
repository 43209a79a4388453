# Sourced by scripts/test.sh --sanitize and scripts/fuzz.sh: how the sanitizer runtimes in a
# build-sanitize binary behave. Every report ends the process with a non-zero status, so a
# test or a fuzz run that meets one fails; leaks are checked at exit.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:strict_string_checks=1:check_initialization_order=1${WSSS_ASAN_OPTIONS:+:$WSSS_ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# What LibTorch and the system libraries keep until exit on purpose (tests/sanitizers/lsan.supp
# says which and why); our own code has no entry there.
export LSAN_OPTIONS="suppressions=$root/tests/sanitizers/lsan.supp:print_suppressions=0"
