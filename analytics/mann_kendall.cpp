#include "analytics/mann_kendall.hpp"

#include "analytics/significance.hpp"
#include "core/error.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace wangge::analytics {

MannKendall mann_kendall(std::span<const double> y) {
    for (double v : y)
        if (!std::isfinite(v)) throw Error(ErrorCode::internal, "Mann-Kendall: a value is not finite");
    MannKendall out;
    const std::size_t n = y.size();
    for (std::size_t k = 0; k < n; ++k)
        for (std::size_t j = k + 1; j < n; ++j) out.s += (y[j] > y[k]) - (y[j] < y[k]);

    // Tie groups: runs of equal values once sorted. Exact equality, as the definition asks.
    std::vector<double> sorted(y.begin(), y.end());
    std::sort(sorted.begin(), sorted.end());
    double ties = 0;
    for (std::size_t start = 0; start < n;) {
        std::size_t end = start + 1;
        while (end < n && sorted[end] == sorted[start]) ++end;
        const double t = static_cast<double>(end - start);
        ties += t * (t - 1) * (2 * t + 5);
        start = end;
    }
    const double nd = static_cast<double>(n);
    out.variance = (nd * (nd - 1) * (2 * nd + 5) - ties) / 18;
    if (n >= 2) out.tau = static_cast<double>(out.s) / (nd * (nd - 1) / 2);
    if (n < 3 || !(out.variance > 0)) return out;

    const double s = static_cast<double>(out.s);
    const double sd = std::sqrt(out.variance);
    out.z = out.s > 0 ? (s - 1) / sd : (out.s < 0 ? (s + 1) / sd : 0.0);
    out.p = two_sided_p(*out.z);
    return out;
}

}  // namespace wangge::analytics
