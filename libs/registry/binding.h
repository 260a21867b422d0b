#pragma once
// The pods/binding subresource (core/v1 Binding): how a scheduler assigns a pending pod to a node.
// As kube-apiserver's BindingREST: spec.nodeName is set exactly once (a second binding is a 409
// Conflict on pods/binding), the binding's annotations are copied onto the pod and the pod gets
// condition PodScheduled=True — in one storage write that bypasses the pod's update strategy
// (spec.nodeName is otherwise immutable).
#include <nlohmann/json.hpp>
#include <string>

#include "libs/core/result.h"
#include "libs/registry/generic_registry.h"

namespace vkube::registry {

// {"apiVersion":"v1","kind":"Binding","metadata":{name,namespace[,uid]},"target":{"kind":"Node","name":node}}
nlohmann::json MakeBinding(const std::string& ns, const std::string& pod, const std::string& pod_uid,
                           const std::string& node);

// Binds pod `ns/name` as `binding` says (POST .../pods/NAME/binding). metadata.uid and
// metadata.resourceVersion of the binding, when set, are preconditions on the pod. Returns the
// bound pod (not stored when `dry_run`). Errors in kube's words: BadRequest (name mismatch),
// Invalid (target), NotFound, Conflict ("pod p is already assigned to node \"n\"", deleting,
// scheduling gates, failed preconditions).
Result<store::ObjectPtr> BindPod(GenericRegistry& objects, const std::string& ns, const std::string& name,
                                 const nlohmann::json& binding, bool dry_run = false);

}  // namespace vkube::registry
