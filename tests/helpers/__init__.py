"""What the tests import: the relay in-process and as a process, its JSON client, phones and
their agent, webhook receivers, fake SMTP and Telegram servers, the portal in a browser, the API
page as data. Fixtures are in tests/conftest.py, so no test module imports one."""
