#include "syncer/tenant_cleanup.h"

#include <boost/asio/co_spawn.hpp>
#include <future>

#include "libs/kubeclient/api_error.h"
#include "libs/translate/name_translator.h"

namespace vkube::syncer {

namespace asio = boost::asio;

asio::awaitable<Status> RemoveTenantFromHost(kube::KubeClient& host, std::string host_namespace, std::string tenant) {
  kube::ListOptions list;
  list.label_selector = std::string(translate::kTenantLabel) + "=" + tenant + "," +
                        std::string(translate::kManagedByLabel) + "=" + std::string(translate::kManagedByValue);
  kube::DeleteOptions del;
  del.grace_period_seconds = 0;
  Status result;
  for (const char* resource : {"pods", "services", "configmaps", "secrets", "persistentvolumeclaims"}) {
    const kube::ResourceRef ref = kube::ResourceRef::Core(resource, host_namespace);
    auto objects = co_await host.List(ref, list);
    if (!objects) {
      if (result) result = objects.take_error();
      continue;
    }
    for (const auto& obj : objects->items) {
      const std::string name = obj.contains("metadata") ? obj["metadata"].value("name", "") : "";
      if (name.empty()) continue;
      auto gone = co_await host.Delete(ref, name, del);
      if (!gone && !kube::IsNotFound(gone.error()) && result) result = gone.take_error();
    }
  }
  co_return result;
}

Status RemoveTenantFromHostBlocking(kube::KubeClient& host, asio::any_io_executor executor,
                                    const std::string& host_namespace, const std::string& tenant,
                                    std::chrono::seconds timeout) {
  auto done = std::make_shared<std::promise<Status>>();
  auto future = done->get_future();
  asio::co_spawn(executor, RemoveTenantFromHost(host, host_namespace, tenant), [done](std::exception_ptr e, Status s) {
    done->set_value(e ? Status(Error::Make(ErrorCode::kInternal, "host cleanup failed")) : std::move(s));
  });
  if (future.wait_for(timeout) != std::future_status::ready) {
    return Error::Make(ErrorCode::kTimeout, "host cleanup of tenant " + tenant + " did not finish in time");
  }
  return future.get();
}

}  // namespace vkube::syncer
