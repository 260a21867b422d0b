#pragma once
// kube-apiextensions-apiserver's CustomResourceDefinition controllers in one queue:
// - NamingConditionController: status.acceptedNames and the NamesAccepted condition. A requested
//   name is accepted when it is already ours or no CRD of the same group has it among its accepted
//   names (plural/singular/shortNames share one set, kind/listKind another); a conflicting name
//   keeps the accepted one and sets NamesAccepted=False ("PluralConflict", ..., `"x" is already
//   in use`). Any CRD event re-checks every CRD of its group: a deleted or renamed CRD frees names.
// - EstablishingController: Established=True ("InitialNamesAccepted") once NamesAccepted is True;
//   never taken back.
// - CRDFinalizer: a deleted CRD holding "customresourcecleanup.apiextensions.k8s.io" has all its
//   custom resources deleted (Terminating=True "InstanceDeletionInProgress"), waits until storage
//   holds none, then sets Terminating=False ("InstanceDeletionCompleted", or "NeverEstablished")
//   and removes the finalizer, which lets the registry remove the CRD.
//
// Names are decided one CRD at a time (kube runs one naming worker) and see the controller's own
// status writes before the informer does (kube's mutation cache): two CRDs reconciled back to back
// cannot both take one name.
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "controllers/framework/controller.h"

namespace vkube::controllers {

class CrdController final : public QueueController {
 public:
  explicit CrdController(ControllerContext ctx);
  std::string_view name() const override { return "crd"; }
  void Register(SharedInformer& informer) override;

 protected:
  Outcome Reconcile(const std::string& key) override;

 private:
  // Queues every CRD of `group` (the part of a CRD's name after the first '.').
  void EnqueueGroup(const std::string& crd_name);
  // The newer of the informer's object and our last write of it.
  store::ObjectPtr Latest(const store::ObjectPtr& cached);
  // Naming + establishing; `obj` is the informer's object.
  Outcome SyncNames(const store::ObjectPtr& obj);
  Outcome Finalize(const store::ObjectPtr& obj);
  // Writes `status` through /status with cached's resourceVersion as precondition.
  Result<store::ObjectPtr> WriteStatus(const Json& cached, const Json& status);

  const resource::Kind* crd_kind_;
  std::mutex names_mu_;    // one naming decision (read the group, write one status) at a time
  std::mutex written_mu_;  // guards written_ (never held across a write: the informer takes it)
  // Our status writes the informer may not show yet, by CRD name.
  std::map<std::string, store::ObjectPtr> written_;
};

}  // namespace vkube::controllers
