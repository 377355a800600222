#include "core/free_memory.hpp"

#include <malloc.h>

namespace wangge {

bool return_free_memory() noexcept { return malloc_trim(0) == 1; }

HeapUse heap_use() noexcept {
    const struct mallinfo2 m = mallinfo2();
    return {m.arena + m.hblkhd, m.uordblks + m.hblkhd};
}

}  // namespace wangge
