#!/usr/bin/env bash
# Set up senforms on a fresh Debian or Ubuntu machine: LibreOffice and fonts for PDFs,
# then a virtual environment in .venv with senforms and its test tools.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PACKAGES=(
  libreoffice-writer-nogui   # DOCX → PDF, headless
  python3-uno                # lets senforms keep LibreOffice running between documents
  fonts-crosextra-carlito    # metric-compatible with Calibri, so PDFs match what Word prints
  fonts-liberation2          # metric-compatible with Arial and Times New Roman
  fonts-noto-core            # Arabic, Polish, Irish… names print correctly
  fonts-noto-cjk             # Chinese, Japanese and Korean names
  poppler-utils              # pdftotext/pdftoppm for checking PDFs in tests
  python3-venv
  chromium                   # the browser tests drive the system Chromium: nothing downloads a browser
  chromium-driver            # …through its WebDriver, with Selenium
  redis-server               # the job queue workers on several machines share; the worker tests start one
)
missing=()
for package in "${PACKAGES[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
echo "senforms is installed in .venv"
