#include "libs/resource/kinds/volume_common.h"

#include <algorithm>

#include "libs/resource/json_access.h"
#include "libs/resource/validation.h"

namespace vkube::resource {

namespace v = validation;

void ValidateAccessModes(const nlohmann::json& modes, const std::string& path, bool claim,
                         std::vector<FieldCause>& errs) {
  if (!modes.is_array() || modes.empty()) {
    errs.push_back(v::Required(path, claim ? "at least 1 access mode is required" : ""));
    return;
  }
  static const std::vector<std::string> kSupported = {"ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce",
                                                      "ReadWriteOncePod"};
  bool once_pod = false;
  for (const auto& m : modes) {
    std::string s = m.is_string() ? m.get<std::string>() : "";
    if (std::find(kSupported.begin(), kSupported.end(), s) == kSupported.end()) {
      errs.push_back(v::NotSupported(path, v::GoValue(m), kSupported));
    }
    once_pod |= s == "ReadWriteOncePod";
  }
  if (once_pod && modes.size() > 1) {
    errs.push_back(v::Forbidden(path, "may not use ReadWriteOncePod with other access modes"));
  }
}

void ValidateVolumeMode(const nlohmann::json& spec, std::vector<FieldCause>& errs) {
  const nlohmann::json& mode = jsonx::Child(spec, "volumeMode");
  if (mode.is_null()) return;
  if (mode != "Block" && mode != "Filesystem") {
    errs.push_back(v::NotSupported("spec.volumeMode", v::GoValue(mode), {"Block", "Filesystem"}));
  }
}

std::string StorageClassOf(const nlohmann::json& obj) {
  const nlohmann::json& beta =
      jsonx::Child(jsonx::At(obj, "metadata.annotations"), "volume.beta.kubernetes.io/storage-class");
  if (beta.is_string()) return beta.get<std::string>();
  return jsonx::Str(obj, "spec.storageClassName");
}

std::string QuantityText(const nlohmann::json& q) {
  if (q.is_string()) return q.get<std::string>();
  if (q.is_number()) return q.dump();
  return "0";
}

}  // namespace vkube::resource
