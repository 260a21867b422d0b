#pragma once
// Deterministic identifiers of simulated things (container IDs, image digests, machine IDs):
// derived from their names with sha256, so a restart of `vkube host` reports the same ones.
#include <string>
#include <string_view>

namespace vkube::hostsim {

std::string Sha256Hex(std::string_view data);  // 64 lower-case hex digits
std::string UuidFrom(std::string_view seed);   // 8-4-4-4-12 hex, from the seed's hash
// Image reference as containerd reports it: "nginx" → "docker.io/library/nginx:latest".
std::string NormalizeImage(const std::string& image);

}  // namespace vkube::hostsim
