"""Relay: a self-hosted phone relay appliance."""

__version__ = "0.1.0"
