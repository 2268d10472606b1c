"""The owner's web portal: password and sessions, the page and its files, the portal's own API
and the live socket (docs/portal.md)."""
