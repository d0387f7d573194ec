#!/bin/sh
# test_plugin_example.sh - the out-of-tree module story of docs/plugin-guide.md:
# install valet into a scratch prefix, build docs/examples/firstfit against it
# with pkg-config, load it with the core's loader, and place a plan with it.
#
# usage: test_plugin_example.sh BUILD_DIR SOURCE_DIR LOAD_MODULES INCLUDEDIR LIBDIR
set -eu

build=$1
src=$2
load_modules=$3
incdir=$4
libdir=$5

tmp=$(mktemp -d /tmp/valet-plugin-example-XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
prefix=$tmp/prefix

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# ---- 0. the guide shows the example's files as they are
awk -v src="$src" -v tmp="$tmp" '
	/^<!-- file: / { file = $3; next }
	file != "" && /^```/ { if (open) { close(out); file = ""; open = 0 } else {
		n++; out = tmp "/guide." n; print src "/" file > (tmp "/guide.list." n); open = 1 }
		next }
	open { print > out }
' "$src/docs/plugin-guide.md"
[ -f "$tmp/guide.1" ] || fail "docs/plugin-guide.md shows no file"
for list in "$tmp"/guide.list.*; do
	n=${list##*.}
	file=$(cat "$list")
	diff -u "$file" "$tmp/guide.$n" >"$tmp/guide.diff" ||
		{ cat "$tmp/guide.diff"; fail "docs/plugin-guide.md differs from $file"; }
done

# ---- 1. install valet (headers, valet-module.pc, binaries, modules)
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log"; fail "cmake --install"; }
test -f "$prefix/$incdir/valet/valet.h" || fail "no valet/valet.h under $prefix/$incdir"
pcdir=$prefix/$libdir/pkgconfig
test -f "$pcdir/valet-module.pc" || fail "no valet-module.pc under $pcdir"

# ---- 2. build the example against the installed headers only
# valet-module.pc is relocatable: found through PKG_CONFIG_PATH, it points
# into this scratch prefix.
PKG_CONFIG_PATH=$pcdir
export PKG_CONFIG_PATH
cmake -S "$src/docs/examples/firstfit" -B "$tmp/build" \
	>"$tmp/configure.log" 2>&1 || { cat "$tmp/configure.log"; fail "configure firstfit"; }
cmake --build "$tmp/build" >"$tmp/build.log" 2>&1 ||
	{ cat "$tmp/build.log"; fail "build firstfit"; }
so=$tmp/build/solver_firstfit.so
test -f "$so" || fail "no $so"
# the compiler saw the installed headers, not the source tree's
# (the relocatable .pc gives paths like <prefix>/lib/pkgconfig/../../include)
seen=no
for inc in $(sed -n 's/^C_INCLUDES = //p' "$tmp/build/CMakeFiles/solver_firstfit.dir/flags.make"); do
	case $inc in -isystem | -iquote) continue ;; esac
	dir=$(realpath -m -- "${inc#-I}")
	[ "$dir" = "$(realpath -m "$prefix/$incdir")" ] && seen=yes
	case $dir in "$src"/*) fail "firstfit was built with the source tree's $dir" ;; esac
done
[ $seen = yes ] || fail "firstfit was not built with the headers of $prefix/$incdir"
# exactly one exported data symbol
syms=$(nm -D --defined-only "$so" | awk '{print $3}' | grep -v '^_' || true)
[ "$syms" = "vlt_plugin" ] || fail "exported symbols: $syms (want only vlt_plugin)"

# ---- 3. the core's loader accepts it
cat >"$tmp/valet.conf" <<CONF
modules: {
  path = [ "$tmp/build" ];
  sources = [ ];
  policies = [ "diversity" ];
  solver = "firstfit";
};
solver: { firstfit: { reverse = false; }; };
CONF
out=$("$load_modules" --config "$tmp/valet.conf" --no-store) || fail "loader refused firstfit"
echo "$out"
echo "$out" | grep -q "^solver/firstfit 1.0.0 $so\$" || fail "firstfit not listed: $out"

# a setting firstfit does not know is refused, with file and line
sed -i 's/reverse = false;/reverse = false; colour = "red";/' "$tmp/valet.conf"
if "$load_modules" --config "$tmp/valet.conf" --no-store 2>"$tmp/err"; then
	fail "an unknown firstfit setting was accepted"
fi
grep -q "setting 'solver.firstfit.colour': unknown setting (the module reads: reverse)" \
	"$tmp/err" || { cat "$tmp/err"; fail "wrong message for an unknown setting"; }
# ... and a value of the wrong type
if "$load_modules" --config "$tmp/valet.conf" --no-store \
	--option solver.firstfit.reverse=sometimes 2>"$tmp/err"; then
	fail "a bad firstfit value was accepted"
fi
grep -q "init failed: --option solver.firstfit.reverse=sometimes: must be true or false" \
	"$tmp/err" || { cat "$tmp/err"; fail "wrong message for a bad value"; }

# ---- 4. place a plan with it through the installed `valet simulate`
valet=$prefix/bin/valet
test -x "$valet" || fail "no $valet"
data=$src/tests/data/core
for reverse in false true; do
	cat >"$tmp/valet.conf" <<CONF
modules: {
  path = [ "$tmp/build", "$prefix/$libdir/valet" ];
  policies = [ "diversity" ];
  solver = "firstfit";
};
solver: { firstfit: { reverse = $reverse; }; };
CONF
	"$valet" simulate --config "$tmp/valet.conf" --inventory "$data/firstfit-inventory.json" \
		--plan "$data/firstfit-plan.json" --json >"$tmp/out.json" 2>"$tmp/err" ||
		{ cat "$tmp/err" "$tmp/out.json"; fail "valet simulate (reverse=$reverse)"; }
	cat "$tmp/out.json"
	if [ $reverse = false ]; then want="h1 h2 h3"; else want="h4 h3 h2"; fi
	got=$(python3 -c '
import json, sys
res = json.loads(open(sys.argv[1]).readline())
assert res["status"]["type"] == "ok", res["status"]
p = res["placements"]
print(" ".join(p[k]["location"] for k in ("web-1", "web-2", "web-3")))
' "$tmp/out.json") || fail "cannot read the plan's placements"
	[ "$got" = "$want" ] || fail "reverse=$reverse: placed on $got, want $want"
done
echo "firstfit: built out of tree, loaded, and placed as expected"
