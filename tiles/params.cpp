#include "tiles/params.hpp"

#include <algorithm>

namespace wangge::tiles {

std::optional<Layer> parse_layer(std::string_view name) noexcept {
    for (std::size_t i = 0; i < k_layer_names.size(); ++i)
        if (k_layer_names[i] == name) return static_cast<Layer>(i);
    return std::nullopt;
}

std::string_view layer_name(Layer layer) noexcept { return k_layer_names[static_cast<std::size_t>(layer)]; }

std::string ReportFilter::key() const {
    auto list = [](std::vector<std::string> v) {
        std::sort(v.begin(), v.end());
        v.erase(std::unique(v.begin(), v.end()), v.end());
        std::string out;
        for (const auto& s : v) out.append(s).push_back(',');
        return out;
    };
    std::string out = "t=" + list(towns);
    out += ";f=" + (from ? std::to_string(from->time_since_epoch().count()) : std::string());
    out += ";u=" + (to ? std::to_string(to->time_since_epoch().count()) : std::string());
    out += ";p=" + list(platforms);
    out += ";c=" + list(categories);
    out += ";s=" + list(statuses);
    return out;
}

}  // namespace wangge::tiles
