#pragma once
// The one way controllers write status: through /status, with the resourceVersion of the cached
// object the status was computed from as a precondition. A status computed from a stale cache is
// refused (Conflict) and the key retried once the cache has caught up — kube controllers get the
// same from UpdateStatus with the informer's object; a blind read-modify-write would let an old
// view overwrite a newer one.
#include <functional>

#include "controllers/framework/object_util.h"
#include "libs/registry/generic_registry.h"

namespace vkube::controllers {

// OK when written, unchanged, or the object is gone; the store's error otherwise.
Status UpdateStatus(registry::GenericRegistry& objects, const resource::Kind& kind, const Json& cached,
                    const Json& status, const std::function<void(Json&)>& also = nullptr);

}  // namespace vkube::controllers
