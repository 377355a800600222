#pragma once
// CPU priority of the calling thread, for work that must yield to answering at all: on a
// saturated machine the kernel then gives the I/O threads (which parse requests and shed
// the ones that do not fit), the health probes and short requests their share first, and
// meeting packs or tile drawing take what is left (docs/operations.md "Overload").

namespace wangge {

/// Adds `increment` (1–19) to the calling thread's nice value. Lowering one's own priority
/// needs no privilege; on failure nothing changes (the thread just keeps its priority).
void lower_this_thread_priority(int increment) noexcept;

}  // namespace wangge
