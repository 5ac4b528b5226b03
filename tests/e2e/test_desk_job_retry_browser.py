"""A page following a background job keeps asking after the connection drops, and shows the result once it is
back (desk.js followJob had no catch: one failed poll left "Working…" on the page for ever)."""
from __future__ import annotations

import re
import time

import pytest

from tests.guards import needs_chromium, require_browser

require_browser()

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402


pytestmark = [pytest.mark.slow, needs_chromium]


def test_a_job_followed_through_a_dropped_connection_still_shows_its_result(desk, browser):
    import httpx

    url, _folder = desk
    browser.get(url + "/hear?file=notices/free-text.yaml")
    Select(browser.find_element(By.ID, "r-engine")).select_by_value("espeak")
    # every poll of the job fails from here on, as when the village PC's network drops
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/api/jobs/*"]})
    browser.find_element(By.ID, "render").click()
    wait = WebDriverWait(browser, 120)
    wait.until(lambda d: d.find_element(By.ID, "job-message").text.startswith("工作台暂时没有回应"))
    job = re.search(r"job=([0-9a-f]+)", browser.current_url).group(1)
    deadline = time.monotonic() + 300
    while httpx.get(f"{url}/api/jobs/{job}", timeout=10).json()["state"] == "running":
        assert time.monotonic() < deadline, "the render did not finish"
        time.sleep(0.5)
    # the connection is back: the page finds the finished job by itself
    browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
    wait.until(lambda d: d.find_element(By.ID, "result").is_displayed())
    assert browser.find_element(By.ID, "job-message").text == "完成。"
    assert browser.find_element(By.ID, "player").get_attribute("src").endswith(".mp3")
