#include "analytics/weights.hpp"

#include "core/error.hpp"

#include <string>

namespace wangge::analytics {

void check_neighbours(const NeighbourList& neighbours) {
    const std::size_t n = neighbours.size();
    // A per-row scratch mark, reset after each row, keeps the check linear in the links.
    std::vector<bool> seen(n, false);
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j : neighbours[i]) {
            if (j >= n)
                throw Error(ErrorCode::internal, "neighbour list of unit " + std::to_string(i) + " names unit " +
                                                     std::to_string(j) + " of " + std::to_string(n));
            if (j == i)
                throw Error(ErrorCode::internal, "neighbour list of unit " + std::to_string(i) + " holds itself");
            if (seen[j])
                throw Error(ErrorCode::internal, "neighbour list of unit " + std::to_string(i) + " repeats unit " +
                                                     std::to_string(j));
            seen[j] = true;
        }
        for (std::size_t j : neighbours[i]) seen[j] = false;
    }
}

Weights binary_with_self(const NeighbourList& neighbours) {
    check_neighbours(neighbours);
    Weights w;
    w.rows.resize(neighbours.size());
    for (std::size_t i = 0; i < neighbours.size(); ++i) {
        w.rows[i].reserve(neighbours[i].size() + 1);
        w.rows[i].push_back({i, 1.0});
        for (std::size_t j : neighbours[i]) w.rows[i].push_back({j, 1.0});
    }
    return w;
}

Weights binary(const NeighbourList& neighbours) {
    check_neighbours(neighbours);
    Weights w;
    w.rows.resize(neighbours.size());
    for (std::size_t i = 0; i < neighbours.size(); ++i) {
        w.rows[i].reserve(neighbours[i].size());
        for (std::size_t j : neighbours[i]) w.rows[i].push_back({j, 1.0});
    }
    return w;
}

Weights row_standardised(const NeighbourList& neighbours) {
    check_neighbours(neighbours);
    Weights w;
    w.rows.resize(neighbours.size());
    for (std::size_t i = 0; i < neighbours.size(); ++i) {
        if (neighbours[i].empty()) continue;
        const double share = 1.0 / static_cast<double>(neighbours[i].size());
        w.rows[i].reserve(neighbours[i].size());
        for (std::size_t j : neighbours[i]) w.rows[i].push_back({j, share});
    }
    return w;
}

double spatial_lag(const Weights& w, std::size_t i, std::span<const double> v) noexcept {
    double sum = 0;
    for (const Link& link : w.rows[i]) sum += link.weight * v[link.to];
    return sum;
}

}  // namespace wangge::analytics
