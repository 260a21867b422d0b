#pragma once
// Field table for the protobuf wire encoding of the built-in kinds (see protobuf_decoder.h).
#include <string_view>

namespace vkube::resource::pb {

// One message per entry: "Name|field=N:type field=N:type ...". Types: string bool int32 int64
// bytes, a message name, map<K,V>, Time, Quantity, IntOrString, Skip (ignored: status on create).
// Suffixes: '*' repeated, '?' pointer in Go (a present zero value is kept), '^' inlined into the
// parent JSON object (embedded Go structs such as Volume.VolumeSource).
std::string_view MessageSpec(std::string_view name);
// Whether `kind` may be the top-level object of a request body (a create/update of that kind).
bool IsTopLevelKind(std::string_view kind);

}  // namespace vkube::resource::pb
