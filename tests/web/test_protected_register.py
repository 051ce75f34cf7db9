"""A password-protected register keeps working after a restart and in other workers, its password
sealed in the database, never in clear."""

from __future__ import annotations

from pathlib import Path

import pytest

from senforms.web import create_app, datadir, registers, store
from senforms.web.registers import NoRegister, load_current

from ..corpus import make
from .conftest import SAMPLE, Browser

SECRET = "s3cret-Hollybrook"


def _fresh_process(data_dir: Path):
    """What a restarted app, or a worker in another process, knows: only what is on disk."""
    registers._cache.clear()
    app = create_app(data_dir, immediate_jobs=True)
    app.config["TESTING"] = True
    return app


def test_a_protected_register_opens_after_a_restart_and_its_password_is_never_stored_in_clear(app, senco: Browser, data_dir: Path, tmp_path: Path) -> None:
    locked = make.encrypted_xlsx(tmp_path / "locked.xlsx", SECRET, source=SAMPLE)
    assert "password-protected" in senco.upload(locked, password="").text  # asked for, not guessed
    page = senco.upload(locked, password=SECRET)
    assert page.status_code == 200 and "is now the register in use" in page.text

    database = store.connect(data_dir / datadir.DATABASE)
    try:
        (row,) = database.execute("SELECT needs_password, sealed_password FROM registers").fetchall()
        assert row["needs_password"] == 1 and row["sealed_password"] and SECRET not in row["sealed_password"]
    finally:
        database.close()
    for stored in data_dir.rglob("*"):
        if stored.is_file():
            assert SECRET.encode() not in stored.read_bytes(), stored  # nowhere in the data folder in clear

    restarted = Browser(_fresh_process(data_dir).test_client())
    assert restarted.sign_in().status_code == 302
    documents = restarted.get("/documents").text
    assert "Amara" in documents and "password-protected" not in documents

    database = store.connect(data_dir / datadir.DATABASE)
    try:
        stored_register, loaded = load_current(database, data_dir, None)  # as a job in a worker reads it
        assert stored_register.needs_password and len(loaded.register.pupils) == 13
        senco.upload()  # a new, unprotected register replaces it: the sealed password goes with it
        assert [r["sealed_password"] for r in database.execute("SELECT sealed_password FROM registers")] == [None]
    finally:
        database.close()


def test_a_protected_register_uploaded_before_passwords_were_kept_asks_to_be_uploaded_again(app, senco: Browser, data_dir: Path, tmp_path: Path) -> None:
    locked = make.encrypted_xlsx(tmp_path / "locked.xlsx", SECRET, source=SAMPLE)
    assert senco.upload(locked, password=SECRET).status_code == 200
    database = store.connect(data_dir / datadir.DATABASE)
    try:
        database.execute("UPDATE registers SET sealed_password = NULL")  # as an older version left it
        registers._cache.clear()
        with pytest.raises(NoRegister) as refused:
            load_current(database, data_dir, None)
        assert "uploaded before senforms kept such passwords" in refused.value.message
        assert refused.value.fix == "upload the register on the Register page"
    finally:
        database.close()
