#include "syncer/pods/host_pod_streams.h"

#include <boost/asio/this_coro.hpp>

#include "apiserver-proxy/content.h"
#include "libs/core/log.h"
#include "libs/core/time.h"
#include "libs/http/upgrade.h"
#include "libs/translate/name_translator.h"

namespace vkube::syncer {

namespace asio = boost::asio;

namespace {

// What an upgrade negotiates end to end: the client's offer goes up, the host's choice comes back.
bool IsProtocolHeader(std::string_view name) {
  return name == "upgrade" || name == "connection" || name.rfind("sec-websocket-", 0) == 0 ||
         name == "x-stream-protocol-version";
}

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// The host pod's bytes, chunk by chunk, as the tenant's API server streams them.
class HostLogStream final : public apiserver::ChunkStream {
 public:
  explicit HostLogStream(std::unique_ptr<kube::BodyStream> body) : body_(std::move(body)) {}
  asio::awaitable<std::optional<std::string>> Next() override {
    if (done_) co_return std::nullopt;
    auto chunk = co_await body_->Read();
    if (!chunk || chunk->empty()) {
      done_ = true;
      co_return std::nullopt;
    }
    co_return std::move(*chunk);
  }
  void Cancel() override {
    done_ = true;
    body_->Cancel();
  }

 private:
  std::unique_ptr<kube::BodyStream> body_;
  bool done_ = false;
};

http::Response Relayed(http::Response upstream) {
  http::Response r;
  r.status = upstream.status;
  for (auto& h : upstream.headers) {
    if (h.name == "content-type") r.headers.push_back(std::move(h));
  }
  r.body = std::move(upstream.body);
  return r;
}

}  // namespace

HostPodStreams::HostPodStreams(std::string tenant, std::string host_namespace, kube::KubeClient& host,
                               std::shared_ptr<const HostEndpoint> endpoint)
    : tenant_(std::move(tenant)),
      host_namespace_(std::move(host_namespace)),
      host_(host),
      endpoint_(std::move(endpoint)) {}

std::string HostPodStreams::HostPath(const std::string& ns, const std::string& pod,
                                     const std::string& subresource) const {
  return "/api/v1/namespaces/" + host_namespace_ + "/pods/" + translate::HostName(pod, ns, tenant_) + "/" + subresource;
}

std::string HostPodStreams::LogQuery(const apiserver::PodLogOptions& o) {
  std::string q;
  auto add = [&q](std::string_view k, const std::string& v) {
    q += q.empty() ? "?" : "&";
    q += k;
    q += "=";
    q += PercentEncode(v);
  };
  if (!o.container.empty()) add("container", o.container);
  if (o.follow) add("follow", "true");
  if (o.previous) add("previous", "true");
  if (o.timestamps) add("timestamps", "true");
  if (o.tail_lines) add("tailLines", std::to_string(*o.tail_lines));
  if (o.since_seconds) add("sinceSeconds", std::to_string(*o.since_seconds));
  if (o.since_time) add("sinceTime", FormatRfc3339(*o.since_time));
  if (o.limit_bytes) add("limitBytes", std::to_string(*o.limit_bytes));
  return q;
}

asio::awaitable<Result<std::shared_ptr<apiserver::ChunkStream>>> HostPodStreams::Logs(
    std::string ns, std::string pod, apiserver::PodLogOptions options) {
  const std::string path = HostPath(ns, pod, "log") + LogQuery(options);
  auto body = co_await host_.GetStream(path);
  if (!body) co_return body.take_error();
  std::shared_ptr<apiserver::ChunkStream> stream = std::make_shared<HostLogStream>(std::move(*body));
  co_return stream;
}

asio::awaitable<void> HostPodStreams::Connect(std::string ns, std::string pod, apiserver::PodConnectOptions options,
                                              http::Request& request, http::ResponseWriter& writer) {
  http::UpgradeRequest up;
  up.url = endpoint_->server;
  up.method = request.method;
  // The tenant's query was validated by its API server; the path is ours alone.
  up.target = HostPath(ns, pod, options.subresource);
  if (!request.query.empty()) up.target += "?" + request.query;
  for (const auto& h : request.headers) {
    if (IsProtocolHeader(h.name)) up.headers.push_back(h);
  }
  if (endpoint_->token) {
    if (std::string token = endpoint_->token(); !token.empty())
      up.headers.push_back({"authorization", "Bearer " + token});
  }
  up.tls = endpoint_->tls;
  up.server_name = endpoint_->tls_server_name;
  auto executor = co_await asio::this_coro::executor;
  auto upstream = co_await http::DialUpgrade(executor, std::move(up));
  if (!upstream) {
    VKUBE_LOG(kWarn) << "syncer " << tenant_ << ": " << options.subresource << " " << ns << "/" << pod
                     << ": host: " << upstream.error().message;
    co_return co_await writer.Send(apiserver::ErrorResponse(
        Error::Make(ErrorCode::kServiceUnavailable, "error dialing backend: " + upstream.error().message)));
  }
  if (upstream->response.status != 101 || !upstream->stream) {
    co_return co_await writer.Send(Relayed(std::move(upstream->response)));
  }
  http::Response switching;
  switching.status = 101;
  for (const auto& h : upstream->response.headers) {
    if (IsProtocolHeader(h.name)) switching.headers.push_back(h);
  }
  auto client = co_await http::AcceptUpgrade(request, std::move(switching));
  if (!client) {
    upstream->stream->Close();
    co_return;
  }
  co_await http::Splice(*client, *upstream->stream);
}

}  // namespace vkube::syncer
