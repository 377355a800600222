#pragma once
// A small deterministic random source for the demo data: the same seed gives the same
// numbers on every platform and standard library (std:: distributions do not promise that).

#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

namespace wangge::data {

class Rng {
public:
    explicit Rng(std::uint64_t seed) : m_state(seed ^ 0x9e3779b97f4a7c15ULL) {}

    /// splitmix64
    std::uint64_t next() {
        std::uint64_t z = (m_state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    /// [0, 1)
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
    /// [0, n)
    std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(uniform() * static_cast<double>(n)); }
    bool chance(double p) { return uniform() < p; }
    /// Box–Muller
    double normal(double mean = 0, double sd = 1) {
        const double u1 = 1.0 - uniform(), u2 = uniform();
        return mean + sd * std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
    }
    /// Exponential with the given mean.
    double exponential(double mean) { return -mean * std::log(1.0 - uniform()); }
    /// Index drawn with probability proportional to weights.
    std::size_t weighted(const std::vector<double>& weights) {
        double total = 0;
        for (double w : weights) total += w;
        double r = uniform() * total;
        for (std::size_t i = 0; i < weights.size(); ++i) {
            if (r < weights[i]) return i;
            r -= weights[i];
        }
        return weights.empty() ? 0 : weights.size() - 1;
    }
    /// An independent stream for a sub-task, so adding draws to one part of the
    /// generator does not shift every number after it.
    Rng fork(std::uint64_t salt) { return Rng(next() ^ (salt * 0xd1342543de82ef95ULL)); }

private:
    std::uint64_t m_state;
};

}  // namespace wangge::data
