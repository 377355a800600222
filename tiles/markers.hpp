#pragma once
// What a reports drawing shows, before anything is drawn: which marker looks (platform ×
// state) occupy each cell of 2×2 output pixels. The renderer draws one marker per look
// at the centre of each occupied cell, so the image is a function of this set alone, and
// its fingerprint names the image: a write that only adds a report to a cell that already
// shows its look leaves the tile, its ETag and the cached bytes as they were.

#include "tiles/snapshot.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace wangge::tiles {

/// Looks in draw order: state (0 done, 1 open, 2 overdue) × 4 + platform index.
inline constexpr std::size_t k_marker_looks = 12;

struct MarkerCells {
    Box reach;               // EPSG:3857: the tile and the margin its markers reach into
    double cell = 0;         // cell side in metres (2 output pixels)
    std::size_t cols = 0, rows = 0;
    std::vector<std::uint16_t> looks;  // a bit per look, row-major from the north-west corner

    double centre_x(std::size_t col) const noexcept { return reach.minx + (static_cast<double>(col) + 0.5) * cell; }
    double centre_y(std::size_t row) const noexcept { return reach.maxy - (static_cast<double>(row) + 0.5) * cell; }
    /// FNV-1a 64 of the size and every occupied cell with its looks.
    std::uint64_t fingerprint() const noexcept;
};

/// The occupied cells of the filtered reports inside `reach`, with cells of `cell`
/// metres anchored at its north-west corner. Overdue is "open and due_at < now".
MarkerCells marker_cells(const Snapshot& snapshot, const CompiledFilter& filter, const Box& reach, double cell,
                         std::int64_t now);

}  // namespace wangge::tiles
