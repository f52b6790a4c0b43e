"""The dashboard as a user starts it (``dflow-like ui``), and Debian's Chromium driven by Selenium.

Under ``CI=true`` a missing browser or extra is a failure, not a skip (``.ci/run`` installs them).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.requires import unavailable

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROME_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-sync", "--disable-dev-shm-usage",
)  # fmt: skip


def need(condition: bool, what: str) -> None:
    if not condition:
        unavailable(f"{what} is not installed")


@dataclass
class Dashboard:
    base: str
    token: str
    process: subprocess.Popen[str]

    def url(self, path: str = "/") -> str:
        return f"{self.base}{path}{'&' if '?' in path else '?'}token={self.token}"


@pytest.fixture
def dashboard(isolated_home: Path, tmp_path: Path) -> Iterator[Dashboard]:
    need(all(_importable(m) for m in ("starlette", "uvicorn")), "the [ui] extra (starlette, uvicorn)")
    env = dict(os.environ, DFLOW_LIKE_HOME=str(isolated_home))
    errors = tmp_path / "ui.stderr"
    with open(errors, "w") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "dflow_like.cli", "ui", "--port", "0"],
            stdout=subprocess.PIPE, stderr=err, text=True, env=env,
        )  # fmt: skip
    assert process.stdout is not None
    try:
        line = process.stdout.readline()  # printed before serving; blocks until then (or exit)
        found = re.search(r"(http://127\.0\.0\.1:\d+)/\?token=(\S+)", line)
        assert found is not None, f"dflow-like ui printed {line!r}; stderr: {errors.read_text()}"
        yield Dashboard(found.group(1), found.group(2), process)
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()


def _importable(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    need(_importable("selenium"), "selenium (the [test] extra)")
    need(Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists(), "Debian's chromium and chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chrome-profile'}")
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.downloads = downloads  # type: ignore[attr-defined]
    try:
        yield driver
    finally:
        driver.quit()
