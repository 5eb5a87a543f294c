"""Headless Chromium for the explorer's browser tests and scripts/screenshots.py.

Debian's chromium and chromium-driver (scripts/install.sh), driven by Selenium, with the
driver given explicitly: Selenium must not try to download one.
"""

import os
import shutil

CHROMEDRIVER = "/usr/bin/chromedriver"


def browser_missing() -> str:
    """Why the browser tests cannot run here, or "" when they can."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    if not os.path.exists(CHROMEDRIVER):
        return f"{CHROMEDRIVER} is missing (apt-get install chromium-driver; scripts/install.sh does it)"
    if not (shutil.which("chromium") or os.path.exists("/usr/bin/chromium")):
        return "chromium is missing (apt-get install chromium)"
    return ""


def start_browser(width: int = 1500, height: int = 1000, downloads: str = ""):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={width},{height}", "--lang=en-US", "--disable-extensions"):
        opts.add_argument(arg)
    if downloads:
        opts.add_experimental_option("prefs", {"download.default_directory": downloads,
                                               "download.prompt_for_download": False})
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)


def steps_shown(driver) -> int:
    """The run length the page has finished drawing (the page sets it after each answer)."""
    value = driver.execute_script("return document.body.getAttribute('data-steps')")
    return -1 if value is None else int(value)


def wait_for(what: str, predicate, timeout: float = 10.0):
    import time

    end = time.time() + timeout
    while time.time() < end:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"the page did not show {what} within {timeout} s")


def wait_steps(driver, n: int, timeout: float = 10.0):
    wait_for(f"step {n}", lambda: steps_shown(driver) == n, timeout)


def click_action(driver, label_prefix: str):
    """Click the enabled action whose (English) label starts with ``label_prefix``, as a user
    does, and wait until the page shows the longer run."""
    from selenium.webdriver.common.by import By

    n = steps_shown(driver)
    buttons = driver.find_elements(By.CSS_SELECTOR, "#actions button[data-index]")
    labels = [b.get_attribute("data-label") for b in buttons]
    matches = [b for b, label in zip(buttons, labels) if label.startswith(label_prefix)]
    if not matches:
        raise AssertionError(f"no enabled action starts with {label_prefix!r}; enabled: {labels}")
    matches[0].click()
    wait_steps(driver, n + 1)
