"""The web app lays the school settings file's hourly rates over the register, as `--config` does."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

from senforms.web import create_app, datadir, store
from senforms.web.accounts import add_user
from senforms.web.registers import load_current

from .conftest import PASSWORD, SENCO, Browser


def test_the_settings_files_hourly_rates_reach_the_register_and_a_change_is_read_again(data_dir: Path, tmp_path: Path) -> None:
    settings = tmp_path / "school.toml"
    settings.write_text("[hourly_rates]\nteaching_assistant = 25.00\n", encoding="utf-8")
    app = create_app(data_dir, settings_path=settings, immediate_jobs=True)
    app.config["TESTING"] = True
    database = store.connect(data_dir / datadir.DATABASE)
    add_user(database, SENCO, "senco", PASSWORD)
    browser = Browser(app.test_client())
    assert browser.sign_in().status_code == 302
    assert browser.upload().status_code == 200
    _, loaded = load_current(database, data_dir, settings)
    assert loaded.register.hourly_rates.teaching_assistant == Decimal("25.00")
    settings.write_text("[hourly_rates]\nteaching_assistant = 31.50\n", encoding="utf-8")
    later = settings.stat().st_mtime + 5
    os.utime(settings, (later, later))
    _, loaded = load_current(database, data_dir, settings)
    assert loaded.register.hourly_rates.teaching_assistant == Decimal("31.50")
    # the dashboard's costs are drawn from the same register
    assert browser.get("/dashboard").status_code == 200
    database.close()
