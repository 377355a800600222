// Report bodies (API.md: POST /api/v1/reports, the batch, POST …/events): the bytes are
// the body of a JSON request, parsed as the routes parse it (api/report_params.hpp).

#include "api/report_params.hpp"
#include "tests/fuzz/fuzz_support.hpp"

#include <variant>

using namespace wangge;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    api::Request request;
    request.method = "POST";
    request.path = "/api/v1/reports";
    request.headers["content-type"] = "application/json; charset=utf-8";
    request.body.assign(fuzz::as_text(data, size));
    fuzz::expect_client_error_only([&] {
        const auto body = api::parse_json_body(request);
        // One report never throws: a bad one becomes its Error, item by item.
        if (auto one = api::parse_report(body); auto* e = std::get_if<Error>(&one)) fuzz::expect_client_status(*e);
        fuzz::expect_client_error_only([&] {
            for (const auto& item : api::parse_report_batch(body))
                if (const auto* e = std::get_if<Error>(&item)) fuzz::expect_client_status(*e);
        });
        fuzz::expect_client_error_only([&] { api::parse_action(body); });
    });
    return 0;
}
