"""Settings come from flags, then RELAY_* variables (or RELAY_*_FILE), then relay.toml, then
defaults; docs/configuration.md describes every one."""
import dataclasses
import pathlib
import re

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


@pytest.mark.parametrize("environ,message", [
    ({"RELAY_PORT": "-1"}, "RELAY_PORT: port must be 1 to 65535, not -1"),
    ({"RELAY_PORT": "65536"}, "RELAY_PORT: port must be 1 to 65535, not 65536"),
    ({"RELAY_READER_THREADS": "0"}, "reader_threads must be at least 1, not 0"),
    ({"RELAY_IDEMPOTENCY_DAYS": "-3"}, "idempotency_days must be at least 0, not -3"),
    ({"RELAY_LOG_LEVEL": "loud"}, "log_level must be debug, info, warning or error"),
    ({"RELAY_SMTP_SECURITY": "ssl"}, "smtp_security must be none, starttls or tls, not 'ssl'"),
])
def test_values_out_of_range_name_the_setting_and_its_range(tmp_path, environ, message):
    with pytest.raises(config.ConfigError, match=message):
        config.load({"data_dir": str(tmp_path)}, environ=environ)


def test_the_limits_of_a_range_are_allowed(tmp_path):
    settings = config.load({"data_dir": str(tmp_path), "port": 65535, "reader_threads": 1},
                           environ={"RELAY_SMTP_SECURITY": "tls", "RELAY_QUERY_THREADS": "0"})
    assert (settings.port, settings.reader_threads) == (65535, 1)
    assert (settings.smtp_security, settings.query_threads) == ("tls", 0)


def _documented_rows() -> dict[str, list[str]]:
    """setting name -> the cells of its row in docs/configuration.md's table."""
    rows = {}
    for line in DOC.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) >= 4 and cells[1].startswith("RELAY_"):
            rows[cells[0]] = cells
    return rows


def test_every_setting_is_documented_with_its_variable_default_and_range():
    rows = _documented_rows()
    for setting in config.SETTINGS:
        assert setting.name in rows, f"{setting.name} is not documented"
        default = str(setting.default) if setting.default != "" else "(empty)"
        assert rows[setting.name][1:4] == [setting.env, default, setting.allowed], setting.name


def test_the_docs_name_no_setting_that_does_not_exist():
    assert set(_documented_rows()) <= set(config.BY_NAME)
    variables = set(re.findall(r"RELAY_[A-Z_]+", DOC.read_text()))
    known = {s.env for s in config.SETTINGS} | {s.env + "_FILE" for s in config.SETTINGS}
    assert variables - known - {"RELAY_"} == set()   # "RELAY_": the RELAY_* wildcard


def test_settings_have_one_attribute_per_setting(tmp_path):
    settings = config.load({"data_dir": str(tmp_path)}, environ={})
    assert [f.name for f in dataclasses.fields(settings)] == [s.name for s in config.SETTINGS]
    assert settings.replace(port=6001).url == "http://127.0.0.1:6001"
