"""A real headless Chromium for the page tests: the machine's own, driven by Playwright (nothing downloaded)."""
import contextlib
import shutil

from playwright.sync_api import sync_playwright

NAMES = ("chromium", "chromium-browser", "google-chrome")
ARGUMENTS = (
    "--no-sandbox",  # Chromium refuses to start its sandbox as root (CI containers)
    "--disable-gpu",
    # No calls home: the tests run where the network is closed.
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
)


def chromium_binary():
    return next((found for name in NAMES if (found := shutil.which(name))), None)


@contextlib.contextmanager
def open_page():
    """A Playwright Page in a fresh headless Chromium, closed afterwards."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_binary(), args=ARGUMENTS)
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 1000})
        finally:
            browser.close()
