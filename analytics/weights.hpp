#pragma once
// Spatial weights as sparse rows. The caller builds contiguity (queen or rook, with the
// 0.5 m snap of STATS.md "Spatial weights") and hands over plain neighbour lists; this file
// only turns those lists into the two weightings the statistics need.

#include <cstddef>
#include <span>
#include <vector>

namespace wangge::analytics {

/// neighbours[i] lists the units adjacent to unit i, self excluded, each at most once.
using NeighbourList = std::vector<std::vector<std::size_t>>;

/// One non-zero weight w_ij of row i.
struct Link {
    std::size_t to;  // j
    double weight;   // w_ij
};

/// A sparse weights matrix: rows[i] holds every non-zero w_ij. A unit with no links
/// (an isolate) has an empty row.
struct Weights {
    std::vector<std::vector<Link>> rows;

    std::size_t size() const noexcept { return rows.size(); }
};

/// Checks that every index is in range and that no list holds its own unit or a duplicate,
/// since each of those silently changes W_i, S1 and S0.
/// @throws Error(internal) naming the first offending unit
void check_neighbours(const NeighbourList& neighbours);

/// Binary weights with w_ii = 1, as Gi* wants (STATS.md "Getis-Ord Gi*"): an isolate
/// keeps only itself.
/// @throws Error(internal) as check_neighbours
Weights binary_with_self(const NeighbourList& neighbours);

/// Binary weights, self excluded (w_ij = 1 for each neighbour).
/// @throws Error(internal) as check_neighbours
Weights binary(const NeighbourList& neighbours);

/// Row-standardised weights, self excluded (w_ij = 1/|N(i)|), the Moran default of
/// STATS.md. An isolate keeps an empty row (spdep's zero.policy, esda's behaviour).
/// @throws Error(internal) as check_neighbours
Weights row_standardised(const NeighbourList& neighbours);

/// Σ_j w_ij v_j, the spatial lag of v at unit i.
double spatial_lag(const Weights& w, std::size_t i, std::span<const double> v) noexcept;

}  // namespace wangge::analytics
