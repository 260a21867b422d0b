#pragma once
// Pure conversion from a parsed Beast request to vkube::http::Request (fuzzable without sockets).
#include <memory>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "libs/http/limits.h"
#include "libs/http/message.h"

namespace vkube::http {

using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// The one parser configuration the server uses (and the fuzzer reuses): header block and body
// bounded by `limits`.
void ConfigureParser(RequestParser& parser, const Limits& limits);

Request FromBeast(boost::beast::http::request<boost::beast::http::string_body>&& req,
                  std::shared_ptr<const PeerInfo> peer);
// Splits a request-target into path and query.
void SplitTarget(std::string_view target, std::string& path, std::string& query);
std::string StatusBody(int code, std::string_view reason, std::string_view message);

}  // namespace vkube::http
