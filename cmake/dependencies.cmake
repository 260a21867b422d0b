# All dependencies come from Debian 12 packages (scripts/install-deps.sh); README says why each exists.
find_package(Threads REQUIRED)
find_package(Boost 1.81 EXACT REQUIRED)          # libboost1.81-dev: header-only Asio + Beast
find_package(OpenSSL 3 REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(ZLIB REQUIRED)
find_package(GTest REQUIRED)
find_package(benchmark REQUIRED)
find_package(prometheus-cpp REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(NGHTTP2 REQUIRED IMPORTED_TARGET libnghttp2>=1.52)
# libjemalloc-dev: the server binary's allocator (src/CMakeLists.txt). Not under sanitizers, which
# bring their own malloc.
if(NOT VKUBE_SANITIZE)
  pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)
endif()

# Asio: no deprecated APIs, and coroutine-friendly defaults.
add_library(vkube_asio INTERFACE)
target_link_libraries(vkube_asio INTERFACE Boost::headers Threads::Threads OpenSSL::SSL OpenSSL::Crypto)
target_compile_definitions(vkube_asio INTERFACE BOOST_ASIO_NO_DEPRECATED
                           BOOST_ASIO_DISABLE_BOOST_COROUTINE)
