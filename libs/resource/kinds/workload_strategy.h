#pragma once
// The part apps/v1 workloads (deployments, replicasets, statefulsets, daemonsets) share: status
// subresource, generation tracking, a pod template defaulted like a pod spec, a label selector
// that must select the template's labels and never changes, and the shared Table columns.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "libs/resource/strategy.h"

namespace vkube::resource {

class WorkloadStrategy : public Strategy {
 public:
  struct Options {
    std::string kind;                       // "Deployment"
    std::string empty_selector_noun;        // "deployment": kube's "empty selector is invalid for <noun>"
    bool selector_required = true;          // daemonsets only report the template mismatch
    bool selector_immutable_check = true;   // statefulsets forbid all but a few spec fields instead
    nlohmann::json initial_status;          // what a fresh status serializes as
  };
  explicit WorkloadStrategy(Options opts);

 protected:
  // The kind's own defaults on spec (replicas, strategies); the template is handled here.
  virtual void DefaultSpec(nlohmann::json& spec) const = 0;
  // The kind's own spec checks, after selector and template.
  virtual void ValidateWorkloadSpec(const nlohmann::json& spec, std::vector<FieldCause>& errs) const {}

  void Default(nlohmann::json& obj) const override;
  void PrepareCreate(nlohmann::json& obj) const override;
  void ValidateSpec(const nlohmann::json& obj, std::vector<FieldCause>& errs) const override;
  void ValidateSpecUpdate(const nlohmann::json& obj, const nlohmann::json& old,
                          std::vector<FieldCause>& errs) const override;

  // Wide columns shared by the workload printers: container names, images, selector.
  static nlohmann::json ContainerAndSelectorCells(const nlohmann::json& obj, bool with_selector);
  // The restartPolicy / activeDeadlineSeconds rules of workload templates.
  static void ValidateTemplateRestart(const nlohmann::json& spec, std::string_view deadline_message,
                                      bool deadline_forbidden, std::vector<FieldCause>& errs);
  // kube's intstr.IntOrString checks (maxSurge, maxUnavailable): "25%" or a nonnegative int.
  static void ValidateIntOrPercent(const nlohmann::json& v, const std::string& path, std::vector<FieldCause>& errs);

 private:
  Options opts_;
};

}  // namespace vkube::resource
