#include "libs/store/store.h"

namespace vkube::store {

JsonPtr ParsedJson(const Object& obj) {
  if (JsonPtr p = obj.parsed.load(std::memory_order_acquire).lock()) return p;
  // Not make_shared: the weak reference would keep the whole allocation alive, not just its count.
  JsonPtr p(new nlohmann::json(nlohmann::json::parse(obj.json, nullptr, false)));
  obj.parsed.store(p, std::memory_order_release);
  return p;
}

void ForgetParsed(const Object& obj) { obj.parsed.store({}, std::memory_order_release); }

}  // namespace vkube::store
