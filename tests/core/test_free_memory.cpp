// Freed heap goes back to the kernel when asked: the blocks a thread frees between blocks
// it keeps (so glibc cannot shrink its arena from the top) stay resident until then.

#include "core/free_memory.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

long resident_kib() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

}  // namespace

TEST(FreeMemory, FreedBlocksBetweenKeptOnesAreReturnedWhenAsked) {
    constexpr std::size_t k_block = 64 << 10;  // below glibc's mmap threshold: from the arena
    constexpr std::size_t k_blocks = 4096;     // 256 MiB
    std::vector<char*> kept;
    long before_trim = 0;
    // On a thread of its own, so the blocks come from another arena than the main one.
    std::thread([&] {
        std::vector<char*> blocks;
        for (std::size_t i = 0; i < k_blocks; ++i) {
            auto* p = static_cast<char*>(std::malloc(k_block));
            ASSERT_NE(p, nullptr);
            std::memset(p, 1, k_block);
            blocks.push_back(p);
        }
        for (std::size_t i = 0; i < k_blocks; ++i) {
            if (i % 2 == 0) std::free(blocks[i]);
            else kept.push_back(blocks[i]);
        }
    }).join();
    before_trim = resident_kib();
    const auto heap = wangge::heap_use();
    EXPECT_GE(heap.held, heap.in_use);
    EXPECT_GE(heap.in_use, k_blocks / 2 * k_block) << "the kept half is in use";
    EXPECT_TRUE(wangge::return_free_memory());
    const long after_trim = resident_kib();
    // The freed half is 128 MiB; allow for what glibc gave back by itself or keeps.
    EXPECT_LE(after_trim, before_trim - 64 * 1024) << "before " << before_trim << " KiB, after " << after_trim << " KiB";
    for (auto* p : kept) std::free(p);
}
