#pragma once
// kube's ControllerExpectations: after a controller asks for N creates/deletes it must not act on
// its (not yet updated) cache again until the informer has observed them — otherwise it would
// create the same pods twice. Expectations expire after a timeout in case an event is never seen.
#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace vkube::controllers {

class Expectations {
 public:
  explicit Expectations(std::chrono::seconds ttl = std::chrono::minutes(5)) : ttl_(ttl) {}

  void Expect(const std::string& key, int adds, int dels);
  void CreationObserved(const std::string& key) { Lower(key, 1, 0); }
  void DeletionObserved(const std::string& key) { Lower(key, 0, 1); }
  // A request that failed will never be observed.
  void Lower(const std::string& key, int adds, int dels);
  bool Satisfied(const std::string& key) const;
  void Delete(const std::string& key);

 private:
  struct Entry {
    int adds = 0;
    int dels = 0;
    std::chrono::steady_clock::time_point at;
  };
  std::chrono::seconds ttl_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace vkube::controllers
