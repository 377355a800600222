#include "analytics/meeting.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

namespace wangge::analytics {

namespace {

using namespace std::chrono;

constexpr std::size_t k_table_rows = 10;

std::string name_of(const std::map<std::string, std::string>& names, const std::string& key) {
    auto it = names.find(key);
    return it == names.end() ? key : it->second;
}

std::optional<std::string> render_map(const MapRenderer& maps, const MeetingInputs& in, MapLayer layer) {
    if (!maps) return std::nullopt;
    try {
        return maps(in.town, in.month, layer);
    } catch (const std::exception& e) {
        // A map is an illustration: the numbers of the pack must not depend on it.
        std::cerr << "meeting pack: the " << map_layer_name(layer) << " map failed: " << e.what() << '\n';
        return std::nullopt;
    }
}

int emerging_rank(std::string_view c) {
    static const std::vector<std::string_view> k_order{
        "new_hot_spot",        "consecutive_hot_spot",  "intensifying_hot_spot",  "persistent_hot_spot",
        "diminishing_hot_spot", "sporadic_hot_spot",    "oscillating_hot_spot",   "historical_hot_spot",
        "new_cold_spot",       "consecutive_cold_spot", "intensifying_cold_spot", "persistent_cold_spot",
        "diminishing_cold_spot", "sporadic_cold_spot",  "oscillating_cold_spot",  "historical_cold_spot"};
    auto it = std::find(k_order.begin(), k_order.end(), c);
    return it == k_order.end() ? 99 : static_cast<int>(it - k_order.begin());
}

}  // namespace

std::string_view map_layer_name(MapLayer layer) noexcept { return layer == MapLayer::heatmap ? "heatmap" : "hotspots"; }

std::string platform_label(std::string_view code) {
    if (code == "zongzhi") return "综治工作";
    if (code == "shichang") return "市场监管";
    if (code == "zhifa") return "综合执法";
    if (code == "bianmin") return "便民服务";
    return std::string(code);
}

std::string emerging_label(std::string_view category) {
    static const std::map<std::string_view, std::string_view> k_kinds{
        {"new", "新增"},         {"consecutive", "连续"}, {"intensifying", "加剧"}, {"persistent", "持续"},
        {"diminishing", "减弱"}, {"sporadic", "零星"},    {"oscillating", "振荡"},  {"historical", "历史"}};
    if (category == "no_pattern") return "无明显模式";
    const auto cut = category.find('_');
    if (cut == std::string_view::npos) return std::string(category);
    auto it = k_kinds.find(category.substr(0, cut));
    if (it == k_kinds.end()) return std::string(category);
    const bool hot = category.find("hot_spot") != std::string_view::npos;
    return std::string(it->second) + (hot ? "热点" : "冷点");
}

MeetingPack build_meeting_pack(const MeetingInputs& in, const MapRenderer& maps) {
    MeetingPack pack;
    pack.town = in.town;
    pack.town_name = in.town_name;
    pack.month = month_labels(in.month, 1).front();
    pack.from = shanghai_month_start(in.month);
    pack.to = shanghai_month_start(in.month + months{1});
    pack.as_of = in.as_of;
    const Timestamp prev_from = shanghai_month_start(in.month - months{1});

    pack.month_total = completion_total(in.facts, pack.from, pack.to, in.as_of);
    pack.previous_total = completion_total(in.facts, prev_from, pack.from, in.as_of);

    for (auto& row : completion(in.facts, pack.from, pack.to, in.as_of, CompletionBy::platform))
        pack.by_platform.push_back({row.key, platform_label(row.key), row.values});

    std::vector<std::string> grid_keys;
    for (const auto& [id, name] : in.grid_names) grid_keys.push_back(id);
    std::vector<NamedRow> grids;
    for (auto& row : completion(in.facts, pack.from, pack.to, in.as_of, CompletionBy::grid, grid_keys))
        grids.push_back({row.key, name_of(in.grid_names, row.key), row.values});

    auto top = grids;
    std::stable_sort(top.begin(), top.end(),
                     [](const NamedRow& a, const NamedRow& b) { return a.values.reported > b.values.reported; });
    top.resize(std::min(top.size(), k_table_rows));
    pack.top_grids = std::move(top);

    std::vector<NamedRow> low;
    for (const auto& g : grids)
        if (g.values.completion_rate) low.push_back(g);
    std::stable_sort(low.begin(), low.end(), [](const NamedRow& a, const NamedRow& b) {
        if (*a.values.completion_rate != *b.values.completion_rate)
            return *a.values.completion_rate < *b.values.completion_rate;
        return a.values.due > b.values.due;
    });
    low.resize(std::min(low.size(), k_table_rows));
    pack.lowest_grids = std::move(low);

    pack.trend_months = in.trends.months;
    for (const auto& t : in.trends.grids) {
        if (t.emerging.category == "no_pattern") continue;
        pack.emerging.push_back({t.grid, name_of(in.grid_names, t.grid), t.emerging.category, t.counts, t.trend});
    }
    std::stable_sort(pack.emerging.begin(), pack.emerging.end(), [](const EmergingItem& a, const EmergingItem& b) {
        return emerging_rank(a.category) < emerging_rank(b.category);
    });

    // STATS.md: 超期未办结 — not closed at as_of and past due_at, whatever the month of dispatch.
    for (const auto& f : in.facts) {
        if (!f.dispatched_at || *f.dispatched_at > in.as_of || f.closed_at || !f.due_at || !(*f.due_at < in.as_of))
            continue;
        OverdueItem item;
        item.id = f.id;
        item.grid = f.grid;
        item.grid_name = name_of(in.grid_names, f.grid);
        item.category = name_of(in.category_names, f.category);
        item.platform = f.platform;
        item.dispatched_at = *f.dispatched_at;
        item.due_at = *f.due_at;
        item.overdue_days = duration<double>(in.as_of - *f.due_at).count() / 86400.0;
        item.supervised = f.supervised;
        pack.overdue.push_back(std::move(item));
    }
    std::sort(pack.overdue.begin(), pack.overdue.end(), [](const OverdueItem& a, const OverdueItem& b) {
        return a.due_at != b.due_at ? a.due_at < b.due_at : a.id < b.id;
    });

    pack.maps.push_back({MapLayer::heatmap, "事件热力图", render_map(maps, in, MapLayer::heatmap)});
    pack.maps.push_back({MapLayer::hotspots, "热点分析图（Gi*）", render_map(maps, in, MapLayer::hotspots)});
    return pack;
}

std::string sparkline_svg(std::span<const double> values, int width, int height) {
    char buf[128];
    std::snprintf(buf, sizeof buf,
                  R"(<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">)", width,
                  height, width, height);
    std::string out = buf;
    if (values.empty()) return out + "</svg>";
    const auto [lo_it, hi_it] = std::minmax_element(values.begin(), values.end());
    const double lo = std::min(0.0, *lo_it), hi = std::max(*hi_it, lo + 1);
    const double pad = 3;
    const double dx = values.size() > 1 ? (width - 2 * pad) / static_cast<double>(values.size() - 1) : 0;
    auto y_of = [&](double v) { return height - pad - (v - lo) / (hi - lo) * (height - 2 * pad); };
    std::string points;
    for (std::size_t i = 0; i < values.size(); ++i) {
        std::snprintf(buf, sizeof buf, "%s%.1f,%.1f", i ? " " : "", pad + dx * static_cast<double>(i), y_of(values[i]));
        points += buf;
    }
    std::snprintf(buf, sizeof buf, R"(<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ccc" stroke-width="1"/>)",
                  pad, y_of(lo), width - pad, y_of(lo));
    out += buf;
    out += R"(<polyline fill="none" stroke="#c0392b" stroke-width="1.5" points=")" + points + R"("/>)";
    std::snprintf(buf, sizeof buf, R"(<circle cx="%.1f" cy="%.1f" r="2.2" fill="#c0392b"/>)",
                  pad + dx * static_cast<double>(values.size() - 1), y_of(values.back()));
    out += buf;
    return out + "</svg>";
}

}  // namespace wangge::analytics
