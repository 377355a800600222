#pragma once
// Permutation inference shared by global and local Moran: a generator that gives the same
// draws on every platform, and esda's folded pseudo p-value.

#include <cstddef>
#include <cstdint>
#include <span>

namespace wangge::analytics {

/// splitmix64, written out because std:: distributions and engines' seeding differ between
/// standard libraries, and STATS.md wants p_sim fixed for a fixed seed.
class SplitMix64 {
public:
    explicit SplitMix64(std::uint64_t seed) noexcept : m_state(seed) {}

    std::uint64_t next() noexcept {
        std::uint64_t z = (m_state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }

    /// Uniform in [0, bound), bound > 0. Rejection instead of a bare modulo, which would
    /// favour small indices and bias the shuffles.
    std::size_t below(std::size_t bound) noexcept {
        const std::uint64_t b = bound;
        const std::uint64_t threshold = (0 - b) % b;  // 2^64 mod b
        for (;;) {
            const std::uint64_t r = next();
            if (r >= threshold) return static_cast<std::size_t>(r % b);
        }
    }

private:
    std::uint64_t m_state;
};

/// Fisher–Yates over the first `count` slots: afterwards items[0..count) is a uniform
/// random draw without replacement from all of items, whatever order items was in.
template <typename T>
void partial_shuffle(std::span<T> items, std::size_t count, SplitMix64& rng) noexcept {
    for (std::size_t k = 0; k < count && k + 1 < items.size(); ++k) {
        const std::size_t pick = k + rng.below(items.size() - k);
        T tmp = items[k];
        items[k] = items[pick];
        items[pick] = tmp;
    }
}

/// esda's p_sim: larger = #(sim ≥ observed); if R − larger < larger, larger = R − larger;
/// p = (larger + 1)/(R + 1), R = sims.size(). The fold makes it a one-tailed p in the
/// direction of the observed value, between 1/(R+1) and (⌊R/2⌋+1)/(R+1). Ties count as
/// "≥", as in esda, so on the low side they do not count at all.
/// @pre sims is not empty
double folded_p_sim(std::span<const double> sims, double observed) noexcept;

}  // namespace wangge::analytics
