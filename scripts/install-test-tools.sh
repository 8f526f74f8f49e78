#!/usr/bin/env bash
# Installs what the tests run against when it is missing: a real PACS (Orthanc with its DICOMweb
# plugin) and independent DICOM readers/validators (DCMTK, dicom3tools). Needs root (CI runs as root).
set -euo pipefail
need=()
command -v Orthanc >/dev/null 2>&1 || need+=(orthanc)
[[ -e /usr/share/orthanc/plugins/libOrthancDicomWeb.so || -e /usr/lib/orthanc/plugins/libOrthancDicomWeb.so ]] \
  || need+=(orthanc-dicomweb)
command -v dcmdump >/dev/null 2>&1 || need+=(dcmtk)
command -v dciodvfy >/dev/null 2>&1 || need+=(dicom3tools)
if (( ${#need[@]} )); then
  echo "installing test tools: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # The orthanc package would start a system service: the tests start their own on free ports.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d.ctnet && chmod +x /usr/sbin/policy-rc.d.ctnet
  [[ -e /usr/sbin/policy-rc.d ]] || ln -s /usr/sbin/policy-rc.d.ctnet /usr/sbin/policy-rc.d
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
