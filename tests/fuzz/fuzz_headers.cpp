// Small untrusted values outside bodies and query validators: If-Match, report ids in
// paths, tile numbers, percent-encoding and the paging cursor. The first byte picks one.

#include "api/grid_json.hpp"
#include "api/report_params.hpp"
#include "api/routes_tiles.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace wangge;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const auto text = fuzz::as_text(data + 1, size - 1);
    fuzz::expect_client_error_only([&] {
        switch (data[0] % 5) {
        case 0: {
            api::Request r;
            r.headers["if-match"] = std::string(text);
            (void)api::if_match(r);
            break;
        }
        case 1: {
            const auto id = api::parse_report_id(std::string(text));
            fuzz::check(api::parse_report_id(std::to_string(id)) == id, "report id round trip");
            break;
        }
        case 2: {
            // The next byte is the zoom that bounds the number, the rest the number.
            if (text.empty()) break;
            const std::uint32_t limit = (1u << (data[1] % 23)) - 1;
            if (auto n = api::parse_tile_number(text.substr(1), limit)) fuzz::check(*n <= limit, "tile number above its limit");
            break;
        }
        case 3: {
            const bool plus = size % 2 == 0;
            if (auto decoded = api::percent_decode(text, plus)) {
                fuzz::check(decoded->size() <= text.size(), "decoding grew the text");
                fuzz::check(decoded->find('\0') == std::string::npos || text.find('\0') != std::string_view::npos,
                            "decoded an encoded NUL");
            }
            break;
        }
        default: {
            const auto f = api::parse_report_filter(std::map<std::string, std::string>{{"cursor", std::string(text)}});
            if (f.after)
                fuzz::check(api::parse_report_filter(std::map<std::string, std::string>{{"cursor", api::encode_cursor(*f.after)}}).after == f.after,
                            "cursor round trip");
            break;
        }
        }
    });
    return 0;
}
