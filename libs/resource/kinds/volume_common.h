#pragma once
// Pieces shared by PersistentVolume and PersistentVolumeClaim: access modes, volume mode,
// storage class lookup and the printing of capacities.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "libs/core/error.h"

namespace vkube::resource {

// accessModes required (claims add kube's detail text), values supported, ReadWriteOncePod alone.
void ValidateAccessModes(const nlohmann::json& modes, const std::string& path, bool claim,
                         std::vector<FieldCause>& errs);
// spec.volumeMode: "Block" or "Filesystem".
void ValidateVolumeMode(const nlohmann::json& spec, std::vector<FieldCause>& errs);
// The beta annotation wins over spec.storageClassName, as kube's helpers do.
std::string StorageClassOf(const nlohmann::json& obj);
// A capacity as kube prints a Quantity: "0" when absent.
std::string QuantityText(const nlohmann::json& q);

}  // namespace vkube::resource
