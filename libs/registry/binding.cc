#include "libs/registry/binding.h"

#include <chrono>
#include <thread>

#include "libs/core/time.h"
#include "libs/resource/json_access.h"
#include "libs/resource/status.h"
#include "libs/resource/validation.h"

namespace vkube::registry {

namespace jsonx = resource::jsonx;
namespace v = resource::validation;
using nlohmann::json;

namespace {

constexpr int kMaxAttempts = 16;

// kube's podutil.UpdatePodCondition for PodScheduled=True: a fresh transition time, no reason.
void SetScheduled(json& pod, const std::string& now) {
  json* status = jsonx::Object(pod, "status");
  if (status == nullptr) return;
  json& conds = (*status)["conditions"];
  if (!conds.is_array()) conds = json::array();
  json cond = {{"type", "PodScheduled"}, {"status", "True"}, {"lastProbeTime", nullptr}, {"lastTransitionTime", now}};
  for (auto& c : conds) {
    if (jsonx::Str(c, "type") != "PodScheduled") continue;
    if (jsonx::Str(c, "status") == "True" && jsonx::Has(c, "lastTransitionTime"))
      cond["lastTransitionTime"] = c["lastTransitionTime"];
    c = std::move(cond);
    return;
  }
  conds.push_back(std::move(cond));
}

Error BindingConflict(const std::string& name, const std::string& why) {
  return resource::Conflict("", "pods/binding", name, why);
}

}  // namespace

json MakeBinding(const std::string& ns, const std::string& pod, const std::string& pod_uid, const std::string& node) {
  json meta = {{"name", pod}, {"namespace", ns}};
  if (!pod_uid.empty()) meta["uid"] = pod_uid;
  return json{{"apiVersion", "v1"},
              {"kind", "Binding"},
              {"metadata", std::move(meta)},
              {"target", {{"apiVersion", "v1"}, {"kind", "Node"}, {"name", node}}}};
}

Result<store::ObjectPtr> BindPod(GenericRegistry& objects, const std::string& ns, const std::string& name,
                                 const json& binding, bool dry_run) {
  if (!binding.is_object()) return resource::BadRequest("the body of the request must be a Binding object");
  const std::string binding_name = jsonx::Str(binding, "metadata.name");
  if (!binding_name.empty() && binding_name != name) {
    return resource::BadRequest("name in URL does not match name in Binding object");
  }
  // ValidatePodBinding.
  std::vector<FieldCause> errs;
  const std::string target_kind = jsonx::Str(binding, "target.kind");
  if (!target_kind.empty() && target_kind != "Node") {
    errs.push_back(v::NotSupported("target.kind", v::GoQuote(target_kind), {"Node", "<empty>"}));
  }
  const std::string node = jsonx::Str(binding, "target.name");
  if (node.empty()) errs.push_back(v::Required("target.name"));
  if (!errs.empty()) return resource::Invalid("", "Binding", name, std::move(errs));

  const resource::Kind* kind = objects.Find("", "pods");
  if (kind == nullptr) return resource::NotFound("", "pods", name);
  const store::Key key = objects.KeyFor(*kind, ns, name);
  const std::string uid_pre = jsonx::Str(binding, "metadata.uid");
  const std::string rv_pre = jsonx::Str(binding, "metadata.resourceVersion");
  const json& annotations = jsonx::At(binding, "metadata.annotations");
  store::Store& st = objects.store();
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(std::min(1 << attempt, 50)));
    auto cur = st.Get(key);
    if (!cur) {
      if (cur.error().code == ErrorCode::kNotFound) return resource::NotFound("", "pods", name);
      return cur.take_error();
    }
    json pod = json::parse((*cur)->json, nullptr, false);
    if (!pod.is_object()) return resource::InternalError("stored pod is not a JSON object");
    const std::string uid = jsonx::Str(pod, "metadata.uid");
    if (!uid_pre.empty() && uid_pre != uid) {
      return resource::Conflict(
          "", "pods", name, "Precondition failed: UID in precondition: " + uid_pre + ", UID in object meta: " + uid);
    }
    if (!rv_pre.empty() && rv_pre != std::to_string((*cur)->revision)) {
      return resource::Conflict("", "pods", name,
                                "Precondition failed: ResourceVersion in precondition: " + rv_pre +
                                    ", ResourceVersion in object meta: " + std::to_string((*cur)->revision));
    }
    if (jsonx::Has(jsonx::At(pod, "metadata"), "deletionTimestamp")) {
      return BindingConflict(name, "pod " + name + " is being deleted, cannot be assigned to a host");
    }
    if (const std::string bound = jsonx::Str(pod, "spec.nodeName"); !bound.empty()) {
      return BindingConflict(name, "pod " + name + " is already assigned to node " + v::GoQuote(bound));
    }
    if (jsonx::Size(pod, "spec.schedulingGates") > 0) {
      return BindingConflict(name, "pod " + name + " has non-empty .spec.schedulingGates");
    }
    json* spec = jsonx::Object(pod, "spec");
    if (spec == nullptr) return resource::InternalError("stored pod has no spec");
    (*spec)["nodeName"] = node;
    if (annotations.is_object() && !annotations.empty()) {
      json* meta_annotations = jsonx::Object(pod["metadata"], "annotations");
      if (meta_annotations != nullptr) {
        for (auto it = annotations.begin(); it != annotations.end(); ++it) (*meta_annotations)[it.key()] = it.value();
      }
    }
    SetScheduled(pod, FormatRfc3339(std::chrono::system_clock::now()));
    pod["metadata"].erase("resourceVersion");
    if (dry_run) return Unstored(key, pod);
    auto attrs = kind->strategy->GetAttrs(pod);
    auto res = st.Update(key, (*cur)->revision, std::move(pod), std::move(attrs));
    if (res) return res;
    if (res.error().code == ErrorCode::kNotFound) return resource::NotFound("", "pods", name);
    if (res.error().code != ErrorCode::kConflict) return res.take_error();
  }
  return resource::Conflict("", "pods", name, resource::kConflictModified);
}

}  // namespace vkube::registry
