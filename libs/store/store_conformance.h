#pragma once
// The conformance suite every Store implementation must pass. Instantiate with:
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformance, ::testing::Values(StoreFactory{"sqlite", make}));
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "libs/store/store.h"

namespace vkube::store {

struct StoreFactory {
  std::string name;
  // Opens (or re-opens) a store persisted in `dir` with the given watch history size.
  std::function<std::unique_ptr<Store>(const std::string& dir, std::size_t history)> open;
  // Whether the store's server is up (null: always). When not, each test fails at once.
  std::function<bool()> ready;
};

class StoreConformance : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;
  std::unique_ptr<Store> Open(std::size_t history = 1000) { return GetParam().open(dir_, history); }

  std::string dir_;
};

}  // namespace vkube::store
