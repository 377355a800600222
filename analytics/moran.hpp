#pragma once
// Global Moran's I and local Moran (LISA), STATS.md "Global Moran's I and local Moran".

#include "analytics/weights.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wangge::analytics {

/// Which weights Moran builds from the neighbour lists. STATS.md uses row-standardised;
/// binary is there because the public check value (esda test_moran) is for binary weights.
enum class MoranWeighting : unsigned char { row_standardised, binary };

struct MoranOptions {
    MoranWeighting weighting = MoranWeighting::row_standardised;
    std::size_t permutations = 999;  // R; 0 leaves p_sim out
    std::uint64_t seed = 12345;      // fixed, so p_sim is the same on every run and platform
    double label_alpha = 0.05;       // LISA: label a unit only where p_sim ≤ this
};

/// Global Moran's I and its moments. Optional members are absent where undefined.
struct GlobalMoran {
    double i = 0;
    double expected = 0;            // E[I] = −1/(n−1)
    double variance_normality = 0;  // VarN
    std::optional<double> variance_randomisation;  // VarR; needs n ≥ 4
    std::optional<double> z;                       // (I − E[I]) / √VarR
    std::optional<double> p;                       // two-sided, from z
    std::optional<double> p_sim;                   // folded, (M+1)/(R+1)
};

/// Global Moran's I with the randomisation variance VarR exactly as STATS.md, and the
/// normality variance VarN = (n²S1 − nS2 + 3S0²)/((n²−1)S0²) − E[I]². p_sim compares I
/// with R full permutations of x (folded_p_sim). Isolates keep empty rows and still count
/// in n, as in esda (spdep's adjust.n would drop them).
/// @return nullopt when I is undefined: n < 2, all x equal, or no links at all (S0 = 0)
/// @throws Error(internal) when x and neighbours differ in size, an x is not finite, or the
///         neighbour lists are malformed (check_neighbours)
std::optional<GlobalMoran> global_moran(std::span<const double> x, const NeighbourList& neighbours,
                                        const MoranOptions& options = {});

/// The quadrant of the Moran scatterplot: sign of z_i, then sign of its spatial lag.
/// Zero counts as low, as in esda.
enum class Quadrant : unsigned char { high_high, low_high, low_low, high_low };

/// "HH", "LH", "LL", "HL".
std::string_view code(Quadrant q) noexcept;

/// Local Moran of one unit. All optional members are absent for degenerate input.
struct LocalMoran {
    std::optional<double> i;         // I_i = (z_i/m2)·Σ_j w_ij z_j, m2 = Σz²/n
    std::optional<double> p_sim;     // folded, conditional permutation
    std::optional<Quadrant> quadrant;
    std::string label = "ns";        // code(quadrant) where p_sim ≤ label_alpha, else "ns"
};

/// LISA for every unit (spdep's localmoran scale m2 = Σz²/n). p_sim holds x_i fixed and
/// draws its |N(i)| neighbours' values without replacement from the other n−1 units, R
/// times, then folds as esda. Where I_i is 0 by construction (an isolate, or x_i equal to
/// the mean) every draw ties with it and esda's fold would report the smallest possible
/// p; p_sim is left out there and the label is "ns".
/// @return one entry per unit; all empty and "ns" when n < 2 or all x equal
/// @throws Error(internal) as global_moran
std::vector<LocalMoran> local_moran(std::span<const double> x, const NeighbourList& neighbours,
                                    const MoranOptions& options = {});

}  // namespace wangge::analytics
