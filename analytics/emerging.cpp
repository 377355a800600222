#include "analytics/emerging.hpp"

#include "analytics/getis_ord.hpp"
#include "core/error.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <string_view>

namespace wangge::analytics {

std::size_t ninety_percent_of(std::size_t months) noexcept { return (9 * months + 9) / 10; }

Weights space_time_weights(const NeighbourList& neighbours, std::size_t months) {
    check_neighbours(neighbours);
    // Cell (g, t) is g·T + t. Built as plain neighbour lists so binary_with_self adds the
    // cell itself and checks the result like any other weights.
    NeighbourList cells(neighbours.size() * months);
    for (std::size_t g = 0; g < neighbours.size(); ++g) {
        for (std::size_t t = 0; t < months; ++t) {
            auto& list = cells[g * months + t];
            list.reserve(2 * neighbours[g].size() + 1);
            if (t > 0) list.push_back(g * months + t - 1);
            for (std::size_t h : neighbours[g]) {
                list.push_back(h * months + t);
                if (t > 0) list.push_back(h * months + t - 1);
            }
        }
    }
    return binary_with_self(cells);
}

namespace {

enum class Trend : signed char { down = -1, none = 0, up = 1 };

/// The eight rules of STATS.md for one side. `side` flags the months significant on this
/// side, `opposite` those on the other; `trend` is already turned so that "up" means
/// "more extreme on this side".
std::optional<std::string_view> match_rules(const std::vector<bool>& side, const std::vector<bool>& opposite,
                                            Trend trend) {
    const std::size_t months = side.size();
    if (months == 0) return std::nullopt;
    const bool last = side.back();
    const auto count = static_cast<std::size_t>(std::count(side.begin(), side.end(), true));
    const bool mostly = count >= ninety_percent_of(months);

    if (last && count == 1) return "new";
    if (last && !mostly) {
        // The final run starts at `start`; "consecutive" wants nothing significant before it.
        std::size_t start = months - 1;
        while (start > 0 && side[start - 1]) --start;
        if (std::none_of(side.begin(), side.begin() + static_cast<std::ptrdiff_t>(start), [](bool b) { return b; }))
            return "consecutive";
    }
    if (mostly && last && trend == Trend::up) return "intensifying";
    if (mostly && trend == Trend::none) return "persistent";
    if (mostly && last && trend == Trend::down) return "diminishing";
    const bool ever_opposite = std::any_of(opposite.begin(), opposite.end(), [](bool b) { return b; });
    if (last && !mostly && !ever_opposite) return "sporadic";
    if (last && !mostly && ever_opposite) return "oscillating";
    if (!last && months >= 2) {
        const auto earlier = static_cast<std::size_t>(std::count(side.begin(), side.end() - 1, true));
        if (earlier >= ninety_percent_of(months - 1)) return "historical";
    }
    return std::nullopt;
}

Trend flipped(Trend t) noexcept { return static_cast<Trend>(-static_cast<signed char>(t)); }

}  // namespace

std::string classify_emerging(std::span<const std::optional<double>> z, std::span<const std::optional<double>> p,
                              const MannKendall& trend, double alpha) {
    std::vector<bool> hot(z.size(), false), cold(z.size(), false);
    for (std::size_t t = 0; t < z.size(); ++t) {
        if (!z[t] || !p[t] || *p[t] > alpha) continue;
        hot[t] = *z[t] > 0;
        cold[t] = *z[t] < 0;
    }
    Trend direction = Trend::none;
    if (trend.z && trend.p && *trend.p <= alpha) direction = *trend.z > 0 ? Trend::up : Trend::down;

    if (const auto rule = match_rules(hot, cold, direction)) return std::string(*rule) + "_hot_spot";
    // A cold spot intensifies as its z falls, so the trend is read the other way round.
    if (const auto rule = match_rules(cold, hot, flipped(direction))) return std::string(*rule) + "_cold_spot";
    return "no_pattern";
}

std::vector<EmergingHotSpot> emerging_hotspots(const SpaceTimeCube& counts, const NeighbourList& neighbours,
                                               const EmergingOptions& options) {
    if (counts.size() != neighbours.size())
        throw Error(ErrorCode::internal, "emerging hot spots: " + std::to_string(counts.size()) + " grids of counts, " +
                                             std::to_string(neighbours.size()) + " neighbour lists");
    const std::size_t months = counts.empty() ? 0 : counts.front().size();
    std::vector<double> cells;
    cells.reserve(counts.size() * months);
    for (const auto& row : counts) {
        if (row.size() != months)
            throw Error(ErrorCode::internal, "emerging hot spots: grids with different numbers of months");
        cells.insert(cells.end(), row.begin(), row.end());
    }
    // Mean and S over the whole cube (STATS.md), which is what one gi_star call over every
    // cell computes.
    const std::vector<GiStar> gi = gi_star(cells, space_time_weights(neighbours, months));

    std::vector<EmergingHotSpot> out(counts.size());
    for (std::size_t g = 0; g < counts.size(); ++g) {
        EmergingHotSpot& grid = out[g];
        grid.z.resize(months);
        grid.p.resize(months);
        std::vector<double> series;
        series.reserve(months);
        for (std::size_t t = 0; t < months; ++t) {
            const GiStar& cell = gi[g * months + t];
            grid.z[t] = cell.z;
            grid.p[t] = cell.p;
            if (cell.z) series.push_back(*cell.z);
        }
        grid.trend = mann_kendall(series);
        grid.category = classify_emerging(grid.z, grid.p, grid.trend, options.alpha);
    }
    return out;
}

}  // namespace wangge::analytics
