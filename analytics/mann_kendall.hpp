#pragma once
// The Mann-Kendall trend test of STATS.md "Trends and emerging hotspots".

#include <optional>
#include <span>

namespace wangge::analytics {

struct MannKendall {
    long long s = 0;                 // S = Σ_{k<j} sign(x_j − x_k)
    double variance = 0;             // Var(S) with the tie correction
    std::optional<double> z;         // continuity-corrected; absent when n < 3 or Var(S) = 0
    std::optional<double> p;         // two-sided, from z; absent with z
    std::optional<double> tau;       // S/(n(n−1)/2); absent when n < 2
};

/// Mann-Kendall on a series in time order, as STATS.md:
/// Var(S) = [n(n−1)(2n+5) − Σ t(t−1)(2t+5)]/18 over tie groups of size t,
/// Z = (S−1)/√Var if S > 0, 0 if S = 0, (S+1)/√Var if S < 0.
/// Degenerate: with n < 3 a "trend" is one or two points and with Var(S) = 0 every value
/// ties, so z and p are absent there (not 0 and 1), and callers treat absent as "no
/// significant trend". S and Var(S) are always filled.
/// @throws Error(internal) when a value is not finite (ties could not be counted)
MannKendall mann_kendall(std::span<const double> y);

}  // namespace wangge::analytics
