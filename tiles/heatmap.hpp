#pragma once
// Kernel density of report points on a pixel grid (STATS.md "Heatmap"): quartic kernel
// K(d) = 3/(π r²)·(1 − (d/r)²)² for d < r, r in pixels, density per px² summed over the
// filtered points. Points are binned to the centre of their pixel (≤ 0.5 px shift, a
// pixel is the finest thing a tile can show); the grid is padded by r, so every pixel
// sees every point within r whatever tile it falls in, and neighbouring tiles join
// without seams. No Mapnik here.

#include "tiles/snapshot.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace wangge::tiles {

inline constexpr double k_default_radius_px = 24.0;

struct DensityGrid {
    int width = 0;
    int height = 0;
    std::vector<float> values;  // row-major, north row first, density per px²
};

/// Density over `box` drawn as width × height square pixels.
DensityGrid kernel_density(const Snapshot& snapshot, const CompiledFilter& filter, const Box& box, int width,
                           int height, double radius_px);

/// The top of the colour scale when the request gives none (STATS.md: fixed per request,
/// derived from the whole filtered layer at that zoom): the density at the centre of the
/// r × r pixel cell (on the zoom's global pixel grid) holding most filtered points. At
/// least one point's peak K(0), so an empty layer still has a scale.
double derived_scale_max(const Snapshot& snapshot, const CompiledFilter& filter, double metres_per_px,
                         double radius_px);

/// derived_scale_max for one filter and zoom, followed from snapshot to snapshot: the
/// per-cell counts are kept, and a new snapshot recounts only the buckets whose version
/// differs from the one counted (a bucket's version changes with its contents). Counting
/// every point again after each write made a heatmap tile's cost grow with all the
/// reports of the filter (a million points per request at 1M reports, with report posts
/// changing the data between nearly every two requests); now it follows the buckets the
/// writes touched. Each bucket's own cell counts are kept to take it out again, not the
/// bucket (holding buckets would keep old generations of the snapshot alive). The answer
/// is the number derived_scale_max gives for that snapshot, older or newer than the last
/// one. A layer of more than k_max_cells cells is not followed but counted afresh per
/// version, as before. Thread-safe (one update at a time).
class DensityPeak {
public:
    /// Above this many cells a layer is counted afresh for each version instead of being
    /// followed (memory: ~100 bytes a cell with its bucket's share).
    static constexpr std::size_t k_max_cells = 50000;

    DensityPeak(CompiledFilter filter, double metres_per_px, double radius_px);
    double at(const Snapshot& snapshot);
    const CompiledFilter& filter() const noexcept { return m_filter; }

private:
    struct Counted {
        std::int64_t version = 0;
        std::vector<std::pair<std::uint64_t, std::uint32_t>> cells;  // the bucket's own counts
    };
    Counted count(const Bucket& bucket) const;
    void apply(const Counted& counted, int sign);

    CompiledFilter m_filter;
    double m_metres_per_px, m_radius_px, m_cell;
    std::vector<std::string> m_towns;  // the filter's, sorted: the order of the buckets
    std::mutex m_mutex;
    std::int64_t m_version = -1;       // snapshot version counted last
    std::optional<double> m_value;     // its answer, once known
    bool m_too_many_cells = false;     // more than k_max_cells: not followed
    std::map<BucketKey, Counted> m_counted;
    std::unordered_map<std::uint64_t, std::uint32_t> m_cells;
    // (count, key) with the highest count first and, among equals, the lowest key, as
    // derived_scale_max chooses.
    struct Rank {
        bool operator()(const std::pair<std::uint32_t, std::uint64_t>& a,
                        const std::pair<std::uint32_t, std::uint64_t>& b) const noexcept {
            return a.first != b.first ? a.first > b.first : a.second < b.second;
        }
    };
    std::set<std::pair<std::uint32_t, std::uint64_t>, Rank> m_ranked;
};

}  // namespace wangge::tiles
