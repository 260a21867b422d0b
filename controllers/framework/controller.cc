#include "controllers/framework/controller.h"

#include "controllers/framework/object_util.h"

namespace vkube::controllers {

void QueueController::EnqueueOnChange(SharedInformer& informer, const std::string& resource) {
  informer.AddHandler({.resource = resource,
                       .on_add = [this](const store::ObjectPtr& o) { Enqueue(o); },
                       .on_update = [this](const store::ObjectPtr&, const store::ObjectPtr& o) { Enqueue(o); }});
}

void QueueController::EnqueueOwnerOnEvents(SharedInformer& informer, const std::string& resource,
                                           const std::string& owner_kind) {
  auto on_child = [this, owner_kind](const store::ObjectPtr& child) {
    auto ref = ControllerRef(*View(child));
    if (ref && ref->kind == owner_kind) Enqueue(child->key.ns + "/" + ref->name);
  };
  informer.AddHandler({.resource = resource,
                       .on_add = on_child,
                       .on_update = [on_child](const store::ObjectPtr&, const store::ObjectPtr& c) { on_child(c); },
                       .on_delete = on_child});
}

}  // namespace vkube::controllers
