#include "data/prepared.hpp"

#include <cstdio>
#include <functional>
#include <list>
#include <mutex>
#include <unordered_map>

namespace wangge::data::detail {

namespace {

struct Names {
    std::list<std::string> order;  // least recently used first
    std::unordered_map<std::string, std::list<std::string>::iterator> at;
};

std::mutex g_mutex;
std::unordered_map<const pqxx::connection_base*, Names> g_names;

}  // namespace

std::pair<std::string, std::optional<std::string>> use_prepared(const pqxx::connection_base& c, const std::string& sql) {
    char name[32];
    std::snprintf(name, sizeof name, "wangge_%016zx", std::hash<std::string>{}(sql));
    std::optional<std::string> evict;
    std::lock_guard lock(g_mutex);
    auto& names = g_names[&c];
    if (auto it = names.at.find(name); it != names.at.end()) {
        names.order.splice(names.order.end(), names.order, it->second);
        return {name, evict};
    }
    names.at[name] = names.order.insert(names.order.end(), name);
    if (names.order.size() > k_max_prepared_per_connection) {
        evict = std::move(names.order.front());
        names.at.erase(*evict);
        names.order.pop_front();
    }
    return {name, evict};
}

void forget_prepared(const pqxx::connection_base& c) noexcept {
    std::lock_guard lock(g_mutex);
    g_names.erase(&c);
}

}  // namespace wangge::data::detail
