#!/usr/bin/env bash
# Builds the deterministic benchmark dataset (about 1.4 GiB) under DIR:
#   DIR/data/gosrc    a copy of $(go env GOROOT)/src (~12k small files)
#   DIR/data/random   1 GiB incompressible: 64 files of 16 MiB (AES-128-CTR keystream)
#   DIR/data/logs     256 MiB of compressible log text: 64 files of 4 MiB
#
#   bench/dataset.sh DIR                 build (skips what exists)
#   bench/dataset.sh change DIR          change about 1% (originals kept in DIR/pristine)
#   bench/dataset.sh reset DIR           undo change
#   bench/dataset.sh smallfiles DIR [N]  N small files (default 1,000,000) for the RSS test
#   bench/dataset.sh evict DIR           drop the page cache of every file under DIR
#   bench/dataset.sh warm DIR            read every file under DIR into the page cache
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
gen="${GEN:-$here/../bin/bench-gen}"
build_gen() {
	mkdir -p "$(dirname "$gen")"
	(cd "$here/.." && go build -o "$gen" ./bench/gen)
}

case "${1:-}" in
evict | warm)
	build_gen
	"$gen" "$1" "$2"
	;;
change | reset)
	build_gen
	"$gen" "$1" "$2"
	;;
smallfiles)
	build_gen
	"$gen" smallfiles "$2" "${3:-1000000}"
	;;
"" | -h | --help)
	sed -n '2,12p' "$0"
	exit 2
	;;
*)
	dir=$1
	build_gen
	mkdir -p "$dir/data"
	if [ ! -d "$dir/data/gosrc" ]; then
		cp -a "$(go env GOROOT)/src" "$dir/data/gosrc.tmp"
		mv "$dir/data/gosrc.tmp" "$dir/data/gosrc"
	fi
	if [ ! -d "$dir/data/random" ]; then
		"$gen" random "$dir/data/random.tmp" 64 16M 1
		mv "$dir/data/random.tmp" "$dir/data/random"
	fi
	if [ ! -d "$dir/data/logs" ]; then
		"$gen" logs "$dir/data/logs.tmp" 64 4M 2
		mv "$dir/data/logs.tmp" "$dir/data/logs"
	fi
	du -sh "$dir/data"
	;;
esac
