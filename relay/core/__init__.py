"""Domain rules shared by the API, the CLI and the store: ids, keys, validation, time."""
