#include "analytics/permutation.hpp"

namespace wangge::analytics {

double folded_p_sim(std::span<const double> sims, double observed) noexcept {
    const std::size_t r = sims.size();
    std::size_t larger = 0;
    for (double s : sims)
        if (s >= observed) ++larger;
    if (r - larger < larger) larger = r - larger;
    return static_cast<double>(larger + 1) / static_cast<double>(r + 1);
}

}  // namespace wangge::analytics
