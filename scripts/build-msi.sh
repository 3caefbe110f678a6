#!/usr/bin/env bash
# Builds the Windows installer with wixl (msitools) from the cross-built
# uda-agent.exe:
#
#   scripts/build-msi.sh [--exe PATH] [--out-dir DIR]
#
# Defaults: the exe from build/windows-cross (scripts/build-windows.sh), the
# MSI written to build/windows-cross/uda-agent-<version>-x64.msi, where
# <version> is the CMake project version. wixl needs relative Source paths,
# so the files are staged into build/windows-cross/msi-staging first.
# Needs: wixl (apt-get install wixl msitools).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out_dir="$root/build/windows-cross"
exe=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --exe) exe="$2"; shift 2 ;;
    --out-dir) out_dir="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "build-msi.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

command -v wixl >/dev/null || { echo "build-msi.sh: wixl not found (apt-get install wixl)" >&2; exit 2; }

version="$(sed -nE 's/^project\(uda-agent VERSION ([0-9]+\.[0-9]+\.[0-9]+).*/\1/p' "$root/CMakeLists.txt")"
[[ -n "$version" ]] || { echo "build-msi.sh: no project version in CMakeLists.txt" >&2; exit 1; }

if [[ -z "$exe" ]]; then
  for c in "$root/build/windows-cross/uda-agent.exe" "$root/build/windows-cross/service/app/uda-agent.exe"; do
    [[ -f "$c" ]] && { exe="$c"; break; }
  done
  if [[ -z "$exe" && -d "$root/build/windows-cross" ]]; then
    exe="$(find "$root/build/windows-cross" -name uda-agent.exe -not -path '*/msi-staging/*' -print -quit)"
  fi
fi
[[ -n "$exe" && -f "$exe" ]] || {
  echo "build-msi.sh: uda-agent.exe not found; run scripts/build-windows.sh or pass --exe" >&2
  exit 1
}

stage="$out_dir/msi-staging"
rm -rf "$stage"
mkdir -p "$stage"
cp "$exe" "$stage/uda-agent.exe"
cp "$root/installer/msi/uda-agent.yaml" "$stage/uda-agent.yaml"
cp "$root/rules/default.yaml" "$stage/default.yaml"
cp "$root/config/simulated-site.yaml" "$stage/simulated-site.yaml"
cp "$root/installer/uda-agent.wxs" "$stage/uda-agent.wxs"

msi="$out_dir/uda-agent-$version-x64.msi"
rm -f "$msi"
# wixl warns about the WiX attributes it does not know (Permanent,
# NeverOverwrite, Component/@KeyPath, Package/@Platform,
# MajorUpgrade/@AllowSameVersionUpgrades); those warnings are
# expected and dropped, anything else is shown.
(cd "$stage" && wixl -a x64 -D Version="$version" -o "$msi" uda-agent.wxs) 2> "$stage/wixl.log" || {
  cat "$stage/wixl.log" >&2
  exit 1
}
grep -v -E "has no property named '(Permanent|NeverOverwrite|KeyPath|Platform|AllowSameVersionUpgrades)'|^$" \
  "$stage/wixl.log" >&2 || true

# What wixl leaves out (1): MajorUpgrade/@AllowSameVersionUpgrades. A rebuild
# of the same version must replace the installed one, not sit beside it:
# the WIX_UPGRADE_DETECTED row gets msidbUpgradeAttributesVersionMaxInclusive
# (0x200) next to MigrateFeatures (0x1), as WiX writes it.
# What wixl leaves out (2): the data components (C:\ProgramData\UdaAgent) are
# Permanent (0x10: kept on uninstall) and NeverOverwrite (0x80: an upgrade
# keeps the administrator's files). CreateFolder-only components get Permanent.
if ! command -v msiinfo >/dev/null || ! command -v msibuild >/dev/null; then
  echo "build-msi.sh: msiinfo/msibuild not found (apt-get install msitools)" >&2
  exit 2
fi
queries=()
while IFS=$'\t' read -r comp _guid _dir attrs _rest; do
  case "$comp" in
    DataConfig|DataSiteFixture|DataRules) bits=$((0x10 | 0x80)) ;;
    DataStoreDir|DataLogsDir|DataSpoolDir) bits=$((0x10)) ;;
    *) continue ;;
  esac
  queries+=("UPDATE \`Component\` SET \`Attributes\` = $((attrs | bits)) WHERE \`Component\` = '$comp'")
done < <(msiinfo export "$msi" Component | tail -n +4 | tr -d '\r')
[[ ${#queries[@]} -eq 6 ]] || {
  echo "build-msi.sh: expected 6 data components in the Component table" >&2
  exit 1
}
# Attributes is part of the Upgrade table's key: delete and insert the row.
upgrade_code="$(msiinfo export "$msi" Upgrade | awk -F'\t' '$7 ~ /^WIX_UPGRADE_DETECTED/ {print $1}')"
[[ -n "$upgrade_code" ]] || { echo "build-msi.sh: no WIX_UPGRADE_DETECTED row" >&2; exit 1; }
queries+=("DELETE FROM \`Upgrade\` WHERE \`ActionProperty\` = 'WIX_UPGRADE_DETECTED'")
queries+=("INSERT INTO \`Upgrade\` (\`UpgradeCode\`, \`VersionMax\`, \`Attributes\`, \`ActionProperty\`) VALUES ('$upgrade_code', '$version', 513, 'WIX_UPGRADE_DETECTED')")
for q in "${queries[@]}"; do
  msibuild "$msi" -q "$q"
done
echo "$msi"
