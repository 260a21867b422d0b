#pragma once
// Creating and deleting pods for a workload controller (kube's controller.RealPodControl): pods
// come from the owner's template, carry a controller ownerReference, and are written through the
// generic registry so admission and defaulting apply as for any client.
#include <string>

#include "controllers/framework/object_util.h"
#include "libs/registry/generic_registry.h"

namespace vkube::controllers {

// The pod an owner's spec.template describes: labels/annotations/finalizers and spec from the
// template, generateName "<prefix>" (or a fixed name when `name` is set), the controller ref.
Json PodFromTemplate(const Json& pod_template, const Json& owner, const std::string& ns,
                     const std::string& generate_name, const std::string& name = "");

Result<store::ObjectPtr> CreatePod(registry::GenericRegistry& objects, const std::string& ns, Json pod);
Status DeletePod(registry::GenericRegistry& objects, const std::string& ns, const std::string& name,
                 const std::string& uid);

}  // namespace vkube::controllers
