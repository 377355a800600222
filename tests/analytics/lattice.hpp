#pragma once
// Rook neighbours of a rows × cols lattice with units numbered row by row, the usual
// hand-checkable fixture for spatial statistics (esda and spdep test on the same).

#include "analytics/weights.hpp"

namespace wangge::test {

inline analytics::NeighbourList rook_lattice(std::size_t rows, std::size_t cols) {
    analytics::NeighbourList neighbours(rows * cols);
    for (std::size_t r = 0; r < rows; ++r) {
        for (std::size_t c = 0; c < cols; ++c) {
            auto& list = neighbours[r * cols + c];
            if (r > 0) list.push_back((r - 1) * cols + c);
            if (c > 0) list.push_back(r * cols + c - 1);
            if (c + 1 < cols) list.push_back(r * cols + c + 1);
            if (r + 1 < rows) list.push_back((r + 1) * cols + c);
        }
    }
    return neighbours;
}

}  // namespace wangge::test
