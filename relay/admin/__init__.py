"""Administration: client keys, backups and restore, retention, and the actions shared by the CLI
and the local admin endpoint."""
