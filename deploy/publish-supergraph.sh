#!/usr/bin/env bash
# Publishes a new supergraph to the routers: checks the subgraph SDLs against the committed contract
# (`schema check`, with `--operations DIR` the recorded client operations too), composes them to a
# temporary file, then replaces TARGET atomically (a temporary file in TARGET's directory renamed over
# it), so a router watching TARGET, or polling the directory it is served from, never reads half a file.
# When the check or the composition fails, nothing is published and the exit code is non-zero.
#
# Usage: deploy/publish-supergraph.sh TARGET [--config FILE] [--against FILE] [--operations DIR]
#                                            [--accept ID]...
#   TARGET        the supergraph file the routers watch (`supergraph` in their config), or a directory
#                 (the file published is TARGET/supergraph.graphql, e.g. the directory behind `poll_url`)
#   --config      the subgraphs to compose (default: schema/supergraph.toml)
#   --against     the committed contract `schema check` compares with (default: next to the config)
#   --operations  recorded client operations (*.graphql) a breaking change is checked against
#   --accept ID   a breaking change accepted on purpose (repeatable)
# Environment: SCHEMA_BIN, the `schema` binary (default: `cargo run -q -p shopgraph-schema --`, run from
# the workspace root).
set -euo pipefail

usage() {
  sed -n '8,17p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

fail() {
  echo "publish-supergraph: $*" >&2
  exit 1
}

[ $# -ge 1 ] || usage
target=$1
shift
case "$target" in
  -h | --help) usage ;;
  -*) fail "the first argument is the target file or directory, not '$target'" ;;
esac

config=schema/supergraph.toml
check_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --config)
      [ $# -ge 2 ] || fail "--config needs a file"
      config=$2
      shift 2
      ;;
    --against | --operations | --accept)
      [ $# -ge 2 ] || fail "$1 needs a value"
      check_args+=("$1" "$2")
      shift 2
      ;;
    -h | --help) usage ;;
    *) fail "unknown argument '$1' (see --help)" ;;
  esac
done

if [ -n "${SCHEMA_BIN:-}" ]; then
  schema=("$SCHEMA_BIN")
else
  schema=(cargo run -q -p shopgraph-schema --)
fi

if [ -d "$target" ]; then
  target=${target%/}/supergraph.graphql
fi
target_dir=$(dirname -- "$target")
[ -d "$target_dir" ] || fail "the directory of $target does not exist"
[ -w "$target_dir" ] || fail "cannot write in $target_dir (a new file is renamed over $target there)"
[ -f "$config" ] || fail "no subgraph config at $config"

composed=$(mktemp "${TMPDIR:-/tmp}/supergraph.XXXXXX")
staged=""
cleanup() {
  rm -f -- "$composed"
  if [ -n "$staged" ]; then rm -f -- "$staged"; fi
}
trap cleanup EXIT

echo "publish-supergraph: schema check --config $config ${check_args[*]}" >&2
if ! "${schema[@]}" check --config "$config" "${check_args[@]}"; then
  fail "schema check failed for $config: nothing published, $target unchanged"
fi

echo "publish-supergraph: schema compose --config $config" >&2
if ! "${schema[@]}" compose --config "$config" --out "$composed"; then
  fail "schema compose failed for $config: nothing published, $target unchanged"
fi
[ -s "$composed" ] || fail "schema compose wrote nothing for $config: nothing published, $target unchanged"

if [ -f "$target" ] && cmp -s -- "$composed" "$target"; then
  echo "publish-supergraph: $target already holds this supergraph; nothing to publish" >&2
  exit 0
fi

# The same directory, so the rename is atomic; a dot name the routers' file name never matches.
staged=$(mktemp "$target_dir/.supergraph.publishing.XXXXXX")
cat -- "$composed" >"$staged"
chmod 0644 -- "$staged"
mv -f -- "$staged" "$target"
staged=""
echo "publish-supergraph: published $target (routers watching it reload it; no restart)" >&2
