#include "controllers/framework/expectations.h"

namespace vkube::controllers {

void Expectations::Expect(const std::string& key, int adds, int dels) {
  std::lock_guard lock(mu_);
  entries_[key] = Entry{adds, dels, std::chrono::steady_clock::now()};
}

void Expectations::Lower(const std::string& key, int adds, int dels) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  it->second.adds -= adds;
  it->second.dels -= dels;
}

bool Expectations::Satisfied(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return true;
  if (it->second.adds <= 0 && it->second.dels <= 0) return true;
  return std::chrono::steady_clock::now() - it->second.at > ttl_;
}

void Expectations::Delete(const std::string& key) {
  std::lock_guard lock(mu_);
  entries_.erase(key);
}

}  // namespace vkube::controllers
