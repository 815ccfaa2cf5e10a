#!/usr/bin/env bash
# Refresh the layout library the HTML page inlines (src/kerascope/vendor/dagre/):
# @dagrejs/dagre's prebuilt browser bundle (graphlib included) and the licences of
# both packages, fetched from the npm registry with npm itself into a temporary folder.
#
#   scripts/update_vendored.sh [VERSION]      (default: the latest release)
#
# Then run tests/test_html_browser.py: the page must still draw every node and edge.
set -euo pipefail

version="${1:-latest}"
root="$(cd "$(dirname "$0")/.." && pwd)"
target="$root/src/kerascope/vendor/dagre"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "@dagrejs/dagre@$version" >/dev/null
mkdir dagre && tar -xzf dagrejs-dagre-*.tgz -C dagre --strip-components=1
graphlib="$(node -p "require('./dagre/package.json').dependencies['@dagrejs/graphlib']")"
npm pack --silent "@dagrejs/graphlib@$graphlib" >/dev/null
mkdir graphlib && tar -xzf dagrejs-graphlib-*.tgz -C graphlib --strip-components=1
actual="$(node -p "require('./dagre/package.json').version")"

mkdir -p "$target"
# The bundle without its source-map comment (the page asks for nothing, not even in
# devtools), and with every raw control character written as the escape it stands for
# inside its string literal (graphlib keys edges with U+0001): no view of kerascope
# writes a raw control character.
grep -v '^//# sourceMappingURL=' dagre/dist/dagre.min.js \
    | perl -CSD -pe 's/([\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f])/sprintf("\\u%04x", ord($1))/ge' \
    > "$target/dagre.min.js"
if grep -qi '</script' "$target/dagre.min.js"; then
    echo "the bundle holds '</script': it cannot be inlined as it is" >&2
    exit 1
fi
cp dagre/LICENSE "$target/LICENSE"
cp graphlib/LICENSE "$target/LICENSE.graphlib"
cat > "$target/VERSION" <<INFO
@dagrejs/dagre $actual (MIT), dist/dagre.min.js, which bundles @dagrejs/graphlib $graphlib (MIT)
updated by scripts/update_vendored.sh
INFO
echo "vendored @dagrejs/dagre $actual with @dagrejs/graphlib $graphlib into $target"
ls -l "$target"
