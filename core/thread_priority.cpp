#include "core/thread_priority.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>

namespace wangge {

void lower_this_thread_priority(int increment) noexcept {
    // Linux keeps a nice value per thread: PRIO_PROCESS with a thread id sets that thread's.
    const auto tid = static_cast<id_t>(gettid());
    errno = 0;
    const int now = getpriority(PRIO_PROCESS, tid);
    if (now == -1 && errno != 0) return;
    setpriority(PRIO_PROCESS, tid, now + increment);
}

}  // namespace wangge
