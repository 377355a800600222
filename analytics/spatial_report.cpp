#include "analytics/spatial_report.hpp"

#include "core/error.hpp"

#include <cstdio>

namespace wangge::analytics {

std::string_view contiguity_name(Contiguity c) noexcept { return c == Contiguity::rook ? "rook" : "queen"; }

std::optional<Contiguity> parse_contiguity(std::string_view name) noexcept {
    if (name == "queen") return Contiguity::queen;
    if (name == "rook") return Contiguity::rook;
    return std::nullopt;
}

HotspotReport hotspot_report(std::span<const std::string> grids, std::span<const double> counts,
                             const NeighbourList& neighbours, bool fdr) {
    if (grids.size() != counts.size() || grids.size() != neighbours.size())
        throw Error(ErrorCode::internal, "hotspot_report: grids, counts and neighbours differ in size");
    HotspotReport out;
    if (grids.empty()) return out;
    const auto gi = hotspots(counts, neighbours, fdr ? Correction::fdr : Correction::none);
    const auto lisa = local_moran(counts, neighbours);
    out.moran = global_moran(counts, neighbours);
    out.grids.reserve(grids.size());
    for (std::size_t i = 0; i < grids.size(); ++i) out.grids.push_back({grids[i], counts[i], gi[i], lisa[i]});
    return out;
}

TrendReport trend_report(std::span<const std::string> grids, const SpaceTimeCube& counts,
                         const NeighbourList& neighbours, std::vector<std::string> month_labels) {
    if (grids.size() != counts.size() || grids.size() != neighbours.size())
        throw Error(ErrorCode::internal, "trend_report: grids, counts and neighbours differ in size");
    TrendReport out;
    out.months = std::move(month_labels);
    if (grids.empty()) return out;
    const auto emerging = emerging_hotspots(counts, neighbours);
    out.grids.reserve(grids.size());
    for (std::size_t g = 0; g < grids.size(); ++g) {
        const auto& series = counts[g];
        if (series.size() != out.months.size())
            throw Error(ErrorCode::internal, "trend_report: a series and the month labels differ in length");
        GridTrend t;
        t.grid = grids[g];
        t.counts = series;
        t.change.resize(series.size());
        for (std::size_t m = 1; m < series.size(); ++m) t.change[m] = series[m] - series[m - 1];
        if (series.size() >= 2 && series[series.size() - 2] != 0)
            t.last_change_pct = 100.0 * (series.back() - series[series.size() - 2]) / series[series.size() - 2];
        t.trend = mann_kendall(series);
        t.emerging = emerging[g];
        out.grids.push_back(std::move(t));
    }
    return out;
}

std::vector<std::string> month_labels(std::chrono::year_month end, int months) {
    std::vector<std::string> out;
    for (int k = months - 1; k >= 0; --k) {
        const auto ym = end - std::chrono::months{k};
        char buf[16];
        std::snprintf(buf, sizeof buf, "%04d-%02u", static_cast<int>(ym.year()), static_cast<unsigned>(ym.month()));
        out.emplace_back(buf);
    }
    return out;
}

}  // namespace wangge::analytics
