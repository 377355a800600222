#pragma once
// A small libcurl client for the tests that talk to the server over real sockets.

#include <curl/curl.h>

#include <string>
#include <vector>

namespace wangge::test {

struct HttpResult {
    long status = 0;
    std::string body;
    std::string headers;  // the raw header block, "Name: value\r\n" lines

    bool has_header(const std::string& line) const { return headers.find(line) != std::string::npos; }
};

inline std::size_t append_to_string(char* data, std::size_t size, std::size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
}

inline HttpResult fetch(const std::string& url, const std::string& token = {}, const std::string& method = "GET",
                        const std::string& body = {}, const std::vector<std::string>& extra_headers = {}) {
    HttpResult r;
    CURL* curl = curl_easy_init();
    curl_slist* headers = nullptr;
    if (!token.empty()) headers = curl_slist_append(headers, ("Authorization: Bearer " + token).c_str());
    if (!body.empty()) headers = curl_slist_append(headers, "Content-Type: application/json");
    for (const auto& h : extra_headers) headers = curl_slist_append(headers, h.c_str());
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (!body.empty()) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    }
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_to_string);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, append_to_string);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &r.headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
    if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return r;
}

}  // namespace wangge::test
