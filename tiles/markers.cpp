#include "tiles/markers.hpp"

#include "tiles/fingerprint.hpp"

#include <algorithm>
#include <cmath>

namespace wangge::tiles {

std::uint64_t MarkerCells::fingerprint() const noexcept {
    Fingerprint fp;
    fp.add_u64(cols).add_u64(rows);
    for (std::size_t i = 0; i < looks.size(); ++i)
        if (looks[i]) fp.add_u64((static_cast<std::uint64_t>(i) << 16) | looks[i]);
    return fp.value();
}

MarkerCells marker_cells(const Snapshot& snapshot, const CompiledFilter& filter, const Box& reach, double cell,
                         std::int64_t now) {
    MarkerCells out;
    out.reach = reach;
    out.cell = cell;
    out.cols = static_cast<std::size_t>(std::ceil(reach.width() / cell)) + 1;
    out.rows = static_cast<std::size_t>(std::ceil(reach.height() / cell)) + 1;
    out.looks.assign(out.cols * out.rows, 0);
    snapshot.for_each_point(filter, reach, [&](const ReportPoint& p) {
        const std::size_t state = !p.open() ? 0 : (p.due_at < now ? 2 : 1);
        const std::size_t look = state * 4 + p.platform % 4;
        const auto ix = std::min(out.cols - 1, static_cast<std::size_t>((p.x - reach.minx) / cell));
        const auto iy = std::min(out.rows - 1, static_cast<std::size_t>((reach.maxy - p.y) / cell));
        out.looks[iy * out.cols + ix] |= static_cast<std::uint16_t>(1u << look);
    });
    return out;
}

}  // namespace wangge::tiles
