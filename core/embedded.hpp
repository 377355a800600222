#pragma once
// Files compiled into the binary (cmake/embed_files.cmake), so `wangge` works from any
// directory: schema migrations, the OpenAPI document.

#include <string_view>
#include <vector>

namespace wangge {

struct EmbeddedFile {
    std::string_view name;
    std::string_view content;
};

}  // namespace wangge
