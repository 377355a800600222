#pragma once
// Drawing with Mapnik, behind a pimpl so that no Mapnik header leaves tiles/*.cpp.
// A fixed set of render threads, each with its own mapnik::Map built once from the
// styles in tiles/styles/ (STACK.md: one Map per thread, built under a lock). Callers
// hand over a job and wait for the encoded image; HTTP threads never touch Mapnik.

#include "tiles/markers.hpp"
#include "tiles/params.hpp"
#include "tiles/snapshot.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace wangge::tiles {

/// How far a drawing reaches beyond its image, in pixels at scale 1: grid labels (the
/// map buffer) and report markers. ETags cover the data within these margins.
inline constexpr double k_label_reach_px = 128;
inline constexpr double k_marker_reach_px = 8;

/// Everything one image needs. The snapshot is immutable and shared.
struct RenderJob {
    std::vector<Layer> layers;
    Box box;                        // EPSG:3857, same aspect as width:height
    int width = 256;
    int height = 256;
    double scale_factor = 1;        // 2 for @2x: symbols and text twice as large
    ImageFormat format = ImageFormat::png;
    std::shared_ptr<const Snapshot> snapshot;
    CompiledFilter filter;
    double radius_px = 24;          // heatmap radius in output pixels
    double heat_max = 1;            // density mapped to the top colour
    std::shared_ptr<const std::map<BucketKey, int>> hotspot_bins;  // (town, grid) → Gi* bin
    bool labels = true;
    bool single_image = false;      // a static map: no tile edges, so labels avoid collisions
    std::int64_t now = 0;           // Unix seconds: overdue = open and due_at < now
    std::shared_ptr<const MarkerCells> markers;  // the reports layer's cells when the caller has them
};

namespace detail {
struct RenderPoolState;
}

class RenderPool {
public:
    /// Starts `threads` render threads (at least 1); each builds its Map on start.
    /// @throws Error(internal) when the styles cannot be loaded
    explicit RenderPool(std::size_t threads);
    ~RenderPool();
    RenderPool(const RenderPool&) = delete;
    RenderPool& operator=(const RenderPool&) = delete;

    /// Renders on a pool thread and waits. @returns the encoded PNG, PDF or SVG
    /// @throws Error(internal) when Mapnik fails (its message goes to the log)
    std::string render(const RenderJob& job);

    std::size_t threads() const noexcept;

private:
    std::unique_ptr<detail::RenderPoolState> m_state;
};

}  // namespace wangge::tiles
