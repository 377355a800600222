#pragma once
// Handing freed heap memory back to the kernel. glibc keeps what a thread's arena frees
// for that arena's next allocations and returns only the top of the main heap by itself;
// a server whose many threads allocate and free large transient buffers (query results,
// rendered images, answers) under load then holds the high-water mark of every arena.
// Measured at 1M reports under scripts/load.sh: RSS 1,361 MB, of which malloc_trim
// returned 502 MB that was free (docs/operations.md "Memory").

#include <cstddef>

namespace wangge {

/// Returns free heap pages of every arena to the kernel (glibc malloc_trim(0)).
/// @returns whether any memory was released
bool return_free_memory() noexcept;

/// Bytes the allocator holds from the kernel, and of them bytes in use (glibc mallinfo2).
struct HeapUse {
    std::size_t held = 0;
    std::size_t in_use = 0;
};
HeapUse heap_use() noexcept;

}  // namespace wangge
