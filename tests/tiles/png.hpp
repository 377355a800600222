#pragma once
// PNG decoding for the tile tests with libpng's simplified API (a real decoder, so a
// malformed PNG fails the test rather than being read by our own assumptions).

#include <png.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace wangge::test {

struct Rgba {
    std::uint8_t r, g, b, a;
};

struct DecodedPng {
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> pixels;  // RGBA, row-major

    Rgba at(int x, int y) const {
        const auto i = (static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x)) * 4;
        return {pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3]};
    }
};

inline DecodedPng decode_png(const std::string& bytes) {
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size()))
        throw std::runtime_error(std::string("not a PNG: ") + image.message);
    image.format = PNG_FORMAT_RGBA;
    DecodedPng out;
    out.width = static_cast<int>(image.width);
    out.height = static_cast<int>(image.height);
    out.pixels.resize(PNG_IMAGE_SIZE(image));
    if (!png_image_finish_read(&image, nullptr, out.pixels.data(), 0, nullptr)) {
        png_image_free(&image);
        throw std::runtime_error(std::string("PNG decoding failed: ") + image.message);
    }
    return out;
}

}  // namespace wangge::test
