"""The emergency button in a real browser: a real `broadcaster serve` and a real `broadcaster run` share one
as-run log; the button appears, is pressed, and the player logs the emergency play."""
from __future__ import annotations

import pytest
from test_desk_browser import CHROMIUM, DRIVER, Shots, browser, desk  # noqa: F401 (fixtures)
from test_desk_emergency import DEADLINE, NOTICE, _rows, _until, start_player, stop

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="Debian chromium and chromium-driver are not "
                                 "installed (scripts/test installs them)")]


def test_the_emergency_button_in_a_browser_reaches_the_player(desk, browser, tmp_path):  # noqa: F811
    url, _folder = desk
    log, out = tmp_path / "asrun.sqlite", tmp_path / "onair"  # the log the desk fixture serves
    shot = Shots(browser, tmp_path / "screenshots")
    browser.get(url + "/schedule")
    assert not browser.find_elements(By.ID, "emergency")  # no player: no button
    daemon = start_player(tmp_path, log, out)
    try:
        def button(d):
            d.refresh()
            return d.find_elements(By.ID, "emergency")
        WebDriverWait(browser, DEADLINE, poll_frequency=1).until(button)
        Select(browser.find_element(By.ID, "emergency-file")).select_by_value(NOTICE)
        shot("emergency-button")
        browser.find_element(By.ID, "emergency").click()
        WebDriverWait(browser, DEADLINE).until(lambda d: "village" in d.find_element(By.ID, "emergency-status").text)
        shot("emergency-answered")
        _until(lambda: _rows(log, "SELECT id FROM onair WHERE notice = 'truck-arrival'"), "the play on air")
    finally:
        stop(daemon)
    rows = _rows(log, "SELECT * FROM asrun WHERE notice = 'truck-arrival' AND status IN ('played', 'interrupted')")
    assert len(rows) == 1 and rows[0]["priority"] == "emergency", _rows(log, "SELECT * FROM asrun")
