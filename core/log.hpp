#pragma once
// One line to stderr in one write. std::cerr is unit-buffered and flushes after every
// `<<`, so a line built from several pieces on one thread could be cut by another
// thread's line (tests read the log, e.g. the "serving on" line the browser harness waits
// for, and a change feed thread logging at the same moment split it).

#include <cstdio>
#include <string>

namespace wangge {

inline void log_line(std::string line) {
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}

}  // namespace wangge
