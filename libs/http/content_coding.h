#pragma once
// Content-Encoding: gzip for responses (RFC 9110 §8.4). The codec only; which responses are worth
// compressing is the application's policy.
#include <string>
#include <string_view>

#include "libs/core/result.h"

namespace vkube::http {

// True when an Accept-Encoding header value admits gzip: a "gzip" (or "x-gzip") or "*" coding
// with a q-value above zero. An explicit "gzip;q=0" refuses even when "*" is present.
bool AcceptsGzip(std::string_view accept_encoding);

// gzip member (RFC 1952) of `data`. Level 1 (fastest), as kube-apiserver compresses: on the
// data path the CPU costs more than the extra bytes.
Result<std::string> GzipEncode(std::string_view data, int level = 1);
// Inverse, bounded: kRequestEntityTooLarge beyond `max_size` decoded bytes (a zip bomb stops there).
Result<std::string> GzipDecode(std::string_view data, std::size_t max_size);

}  // namespace vkube::http
