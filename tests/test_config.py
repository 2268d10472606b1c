"""Settings come from flags, then RELAY_* variables (or RELAY_*_FILE), then relay.toml, then
defaults; docs/configuration.md describes every one."""
import pathlib

import pytest

from relay import config

DOC = pathlib.Path(__file__).resolve().parent.parent / "docs" / "configuration.md"


def test_precedence(tmp_path):
    (tmp_path / "relay.toml").write_text('port = 6000\nhost = "0.0.0.0"\nsmtp_from = "a@b.c"\n')
    secret = tmp_path / "password"
    secret.write_text("s3cret\n")
    settings = config.load({"data_dir": str(tmp_path), "port": 7000},
                           environ={"RELAY_HOST": "127.0.0.2",
                                    "RELAY_SMTP_PASSWORD_FILE": str(secret)})
    assert settings.port == 7000                  # flag over everything
    assert settings.host == "127.0.0.2"           # environment over relay.toml
    assert settings.smtp_from == "a@b.c"          # relay.toml over defaults
    assert settings.smtp_password == "s3cret"     # *_FILE: the file's content
    assert settings.default_region == "US"        # default


@pytest.mark.parametrize("toml,environ,message", [
    ("port = 'x'\n", {}, "port"),
    ("colour = 1\n", {}, "colour"),
    ("port = \n", {}, "relay.toml"),
    ("", {"RELAY_PORT": "many"}, "RELAY_PORT"),
    ("", {"RELAY_SMTP_PASSWORD_FILE": "/nonexistent/secret"}, "RELAY_SMTP_PASSWORD_FILE"),
])
def test_bad_settings_say_where(tmp_path, toml, environ, message):
    (tmp_path / "relay.toml").write_text(toml)
    with pytest.raises(config.ConfigError, match=message):
        config.load({"data_dir": str(tmp_path)}, environ=environ)


def test_every_setting_is_documented():
    doc = DOC.read_text()
    for setting in config.SETTINGS:
        assert f"| {setting.name} | {setting.env} |" in doc, f"{setting.name} is not documented"
