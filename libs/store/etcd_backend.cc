#include "libs/store/etcd_backend.h"

#include "libs/core/log.h"

namespace vkube::store {
namespace {

using nlohmann::json;

// Partition names are tenant names (DNS labels); anything that could escape its prefix is refused.
Status ValidPartition(const std::string& name) {
  if (name.empty() || name.size() > 253 || name[0] == '.' || name.find_first_of("/!\n") != std::string::npos) {
    return Error::Make(ErrorCode::kBadRequest, "invalid store partition name \"" + name + "\"");
  }
  return {};
}

}  // namespace

Result<std::shared_ptr<EtcdBackend>> EtcdBackend::Open(EtcdBackendOptions options) {
  while (!options.prefix.empty() && options.prefix.back() == '/') options.prefix.pop_back();
  auto client = EtcdClient::Create(options.client);
  if (!client) return client.take_error();
  auto status = (*client)->Call("/v3/maintenance/status", json::object(), true);
  if (!status) return status.take_error();
  VKUBE_LOG(kInfo) << "store: etcd " << status->value("version", "?") << " at revision "
                   << EtcdClient::Int((*status)["header"], "revision") << ", prefix " << options.prefix << "/";
  return std::shared_ptr<EtcdBackend>(new EtcdBackend(std::move(options), std::move(*client)));
}

EtcdBackend::~EtcdBackend() = default;

Result<std::unique_ptr<EtcdStore>> EtcdBackend::OpenPartition(const std::string& name, std::size_t history_size) {
  if (auto s = ValidPartition(name); !s) return s.take_error();
  {
    std::lock_guard lock(mu_);
    if (closed_) return Error::Make(ErrorCode::kServiceUnavailable, "store is closed");
    if (!open_.insert(name).second) {
      return Error::Make(ErrorCode::kAlreadyExists, "store partition \"" + name + "\" is already open");
    }
  }
  auto release = [weak = weak_from_this(), name] {
    if (auto self = weak.lock()) self->Release(name);
  };
  // The marker makes the partition listable without scanning its objects (created once).
  const std::string marker = EtcdClient::Base64Encode(MarkerKey(name));
  json txn = {
      {"compare",
       json::array({json{{"key", marker}, {"target", "CREATE"}, {"result", "EQUAL"}, {"create_revision", "0"}}})},
      {"success", json::array({json{{"request_put", {{"key", marker}, {"value", ""}}}}})}};
  if (auto made = client_->Call("/v3/kv/txn", txn, false); !made) {
    release();
    return made.take_error();
  }
  EtcdStoreOptions so;
  so.prefix = PartitionPrefix(name);
  so.history_size = history_size;
  return EtcdStore::Open(client_, std::move(so), std::move(release));
}

Result<std::unique_ptr<PartitionStore>> EtcdBackend::DoOpenPartition(const std::string& name) {
  auto s = OpenPartition(name, options_.history_size);
  if (!s) return s.take_error();
  return std::unique_ptr<PartitionStore>(std::move(*s));
}

void EtcdBackend::Release(const std::string& name) {
  std::lock_guard lock(mu_);
  open_.erase(name);
}

Status EtcdBackend::DropPartition(const std::string& name) {
  if (auto s = ValidPartition(name); !s) return s;
  {
    std::lock_guard lock(mu_);
    if (open_.contains(name)) return Error::Make(ErrorCode::kConflict, "store partition \"" + name + "\" is open");
  }
  const std::string prefix = PartitionPrefix(name);
  json txn = {
      {"success", json::array({json{{"request_delete_range",
                                     {{"key", EtcdClient::Base64Encode(prefix)},
                                      {"range_end", EtcdClient::Base64Encode(EtcdClient::PrefixEnd(prefix))}}}},
                               json{{"request_delete_range", {{"key", EtcdClient::Base64Encode(MarkerKey(name))}}}}})}};
  auto res = client_->Call("/v3/kv/txn", txn, false);
  if (!res) return res.take_error();
  return {};
}

Result<std::vector<std::string>> EtcdBackend::Partitions() {
  const std::string markers = options_.prefix + "/.partitions/";
  std::vector<std::string> out;
  std::string from = markers;
  const std::string end = EtcdClient::Base64Encode(EtcdClient::PrefixEnd(markers));
  for (;;) {
    json req = {{"key", EtcdClient::Base64Encode(from)}, {"range_end", end}, {"keys_only", true}, {"limit", 1000}};
    auto res = client_->Call("/v3/kv/range", req, true);
    if (!res) return res.take_error();
    const json kvs = res->value("kvs", json::array());
    for (const auto& kv : kvs) {
      auto key = EtcdClient::Base64Decode(kv.value("key", ""));
      if (!key) return key.take_error();
      out.push_back(key->substr(markers.size()));
      from = *key + std::string(1, '\0');
    }
    if (!res->value("more", false) || kvs.empty()) break;
  }
  return out;
}

void EtcdBackend::Close() {
  std::lock_guard lock(mu_);
  closed_ = true;
}

}  // namespace vkube::store
