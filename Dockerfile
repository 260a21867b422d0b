# syntax=docker/dockerfile:1
# The vkube image: built from this repository with the project's own scripts, run as non-root on a
# distroless runtime that holds only vkube, the shared libraries it links and its OpenAPI data.
#
#   docker build -t vkube:dev .
#   docker run --rm vkube:dev version
#
# For bit-for-bit reproducible builds pin both base images by digest (--build-arg BUILD_IMAGE=debian:12@sha256:...).
ARG BUILD_IMAGE=debian:12
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot

FROM ${BUILD_IMAGE} AS build
WORKDIR /src
# install-deps.sh ends by checking that kubectl (a test-only client) is on PATH; this image builds
# but runs no tests, so a stand-in satisfies the check, and Helm (test-only too) is skipped.
ENV VKUBE_SKIP_HELM=1 DEBIAN_FRONTEND=noninteractive
RUN ln -s /bin/true /usr/local/bin/kubectl
COPY scripts/install-deps.sh scripts/install-helm.sh scripts/
RUN scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN rm /usr/local/bin/kubectl && scripts/build.sh
# Stage the runtime file system: the stripped binary, every shared library it links that the
# distroless cc image does not already carry (glibc, libstdc++, libgcc_s), and the upstream
# swagger.json at the path vkube reads by default (--openapi-schema).
RUN set -eu; \
    multiarch=$(gcc -print-multiarch); \
    mkdir -p /out/usr/local/bin "/out/usr/lib/$multiarch" /out/usr/share/gocode/src/k8s.io/kube-openapi/pkg/schemaconv/testdata; \
    objcopy --strip-debug build/bin/vkube /out/usr/local/bin/vkube; \
    ldd build/bin/vkube | awk '/=> \// {print $3}' \
      | grep -Ev '/(libc|libm|libstdc\+\+|libgcc_s|ld-linux[^/]*)\.so' \
      | xargs -r -I{} cp -L {} "/out/usr/lib/$multiarch/"; \
    cp /usr/share/gocode/src/k8s.io/kube-openapi/pkg/schemaconv/testdata/swagger.json \
       /out/usr/share/gocode/src/k8s.io/kube-openapi/pkg/schemaconv/testdata/; \
    /out/usr/local/bin/vkube version; \
    mkdir -p /out-data/vkube

FROM ${RUNTIME_IMAGE}
COPY --from=build /out/ /
# The data directory belongs to the runtime user: a plain `docker run` (its anonymous volume is
# initialised from this directory) can write there. In the chart the PVC is made writable by fsGroup.
COPY --from=build --chown=65532:65532 /out-data/vkube/ /var/lib/vkube/
# 65532 is distroless's "nonroot"; the Helm chart runs with the same UID/GID and a read-only root.
USER 65532:65532
EXPOSE 6443
VOLUME ["/var/lib/vkube"]
ENTRYPOINT ["/usr/local/bin/vkube"]
CMD ["serve", "--data-dir=/var/lib/vkube", "--listen=0.0.0.0:6443"]
