#pragma once
// The virtual kube-apiserver of one tenant as an http::Handler: filter chain
// (authn → in-flight limit → route) in front of REST handlers over the tenant's Store.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/thread_pool.hpp>

#include "apiserver-proxy/pod_streams.h"
#include "libs/auth/rbac_authorizer.h"
#include "libs/http/handler.h"
#include "libs/pki/client_cert_verifier.h"
#include "libs/pki/service_account_tokens.h"
#include "libs/registry/generic_registry.h"
#include "libs/resource/registry.h"
#include "libs/store/store.h"

namespace vkube::apiserver {

class OpenApiService;
struct ApiSurface;

// A user known to the tenant's authenticator (name, groups, uid, extra).
using UserInfo = auth::UserInfo;

struct TokenEntry {
  std::string token;
  UserInfo user;
};

// Everything one tenant's API server needs, passed explicitly (no globals): a multi-tenant process
// builds one of these per tenant.
struct TenantContext {
  std::string name = "default";
  std::shared_ptr<store::Store> store;
  std::shared_ptr<const resource::Registry> registry;
  // Every write goes through here (shared with the tenant's controllers and syncer); built from
  // store + registry when left null.
  std::shared_ptr<registry::GenericRegistry> objects;
  std::shared_ptr<const OpenApiService> openapi;  // may be null (then /openapi/* → 404)
  // What is served at start (kinds, discovery, OpenAPI), shared between tenants; built from
  // registry + openapi when null. Publish() replaces it as custom resources come and go.
  std::shared_ptr<const ApiSurface> surface;
  std::vector<TokenEntry> tokens;                 // static bearer tokens
  // Client certificates map to user CN / groups O. With `client_certs` set they are verified
  // against that (the tenant's) CA; otherwise the transport's verdict (PeerInfo) is trusted.
  bool accept_client_certs = true;
  std::shared_ptr<const pki::ClientCertVerifier> client_certs;
  // Signs and verifies the tenant's service account tokens (TokenRequest, bearer JWTs); null:
  // neither is served.
  std::shared_ptr<const pki::ServiceAccountTokens> service_account_tokens;
  // Called once per authenticated request (before any work); false answers 429. The tenant's
  // rate limit lives here so unauthenticated traffic cannot spend a tenant's budget.
  std::function<bool()> admit;
  // Reads of `store` block on the network (a remote backend such as etcd): they then run on the
  // blocking pool like writes, never on a connection thread.
  bool blocking_reads = false;
  // Authorizes every request (system:masters, then RBAC over `store`); built from `store` when null.
  std::shared_ptr<auth::RbacAuthorizer> authorizer;
};

struct ApiServerLimits {
  std::size_t max_requests_inflight = 400;          // kube-apiserver --max-requests-inflight
  std::size_t max_mutating_requests_inflight = 200; // --max-mutating-requests-inflight
  std::chrono::seconds request_timeout{60};
  std::chrono::seconds min_watch_timeout{1800};     // --min-request-timeout: watch timeouts randomized in [t, 2t)
  std::size_t watch_queue_limit = 10000;            // slow watcher closed beyond this
  std::chrono::seconds bookmark_interval{60};
  std::size_t max_list_page = 0;                    // 0 = unlimited unless the client asks for `limit`
};

class ApiServer final : public http::Handler {
 public:
  // `blocking` runs store writes (fsync) off the connection threads; must outlive the ApiServer.
  ApiServer(TenantContext tenant, ApiServerLimits limits, boost::asio::thread_pool& blocking);
  ~ApiServer() override;

  boost::asio::awaitable<void> Handle(http::Request& request, http::ResponseWriter& writer) override;

  // Where GET pods/NAME/log streams come from (hostsim, or the syncer's host). Set before serving;
  // without it a pod's log is empty, as kube serves it for a pod not on a node.
  void SetPodStreams(std::shared_ptr<PodStreams> streams);
  // Serves `surface` from now on (requests in flight keep theirs). Thread-safe.
  void Publish(std::shared_ptr<const ApiSurface> surface);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vkube::apiserver
